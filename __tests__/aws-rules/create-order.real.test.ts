// The same create-order rules, on the graph the real Terraform builds, and terraform validate on
// every stack the rules run on (the maximal and existing-network ones are not in config/).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { Json } from '../synth.js';
import { requireTerraform, terraform } from '../terraform.js';
import { ORDER_RULES } from './create-order.js';
import { ALL_STACKS } from './stacks.js';

/** Reachability over the edges `terraform graph` prints (`"a" -> "b"`: a waits for b). */
function terraformGraph(dir: string): (from: string, to: string) => boolean {
  const edges = new Map<string, string[]>();
  for (const [, from, to] of terraform(dir, ['graph']).matchAll(/^\s*"([^"]+)" -> "([^"]+)"/gm)) {
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  return (from, to) => {
    const seen = new Set<string>();
    const queue = [from];
    while (queue.length > 0) {
      for (const next of edges.get(queue.pop()!) ?? []) {
        if (next === to) return true;
        if (!seen.has(next)) queue.push(next), seen.add(next);
      }
    }
    return false;
  };
}

describe('every stack with the real Terraform', () => {
  const dirs = new Map<string, string>();
  beforeAll(() => {
    requireTerraform();
    const root = mkdtempSync(join(tmpdir(), 'aws-rules-'));
    for (const { label, json } of ALL_STACKS) {
      const dir = join(root, label.replace('/', '-'));
      mkdirSync(dir);
      // No backend: validate and graph need none, and init must not reach S3.
      const { backend: _backend, ...settings } = json.terraform as Json;
      writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify({ ...json, terraform: settings }));
      terraform(dir, ['init', '-input=false', '-no-color']);
      dirs.set(label, dir);
    }
  }, 180_000);

  test.each(ALL_STACKS.map((stack) => stack.label))('%s passes terraform validate', (label) => {
    const result = JSON.parse(terraform(dirs.get(label)!, ['validate', '-json', '-no-color']));
    expect({ valid: result.valid, errors: result.error_count, warnings: result.diagnostics.map((d: { summary: string }) => d.summary) }).toEqual({ valid: true, errors: 0, warnings: [] });
  });

  test.each(ALL_STACKS.filter((stack) => stack.label.includes('/webapp-')).map((stack) => stack.label))(
    "%s: Terraform's own graph orders every pair the create-order rules name",
    (label) => {
      const json = ALL_STACKS.find((stack) => stack.label === label)!.json;
      const waitsFor = terraformGraph(dirs.get(label)!);
      const pairs = ORDER_RULES.flatMap((rule) => rule.pairs(json).map(([from, to]) => ({ rule: rule.rule, from, to })));
      expect(pairs.length).toBeGreaterThan(0);
      expect(pairs.filter(({ from, to }) => !waitsFor(from, to))).toEqual([]);
    },
    60_000,
  );
});
