import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { REPOSITORY_ROOT, requireTerraform, terraform, terraformEnv } from '../terraform.js';

const cdktf = join(REPOSITORY_ROOT, 'node_modules', '.bin', 'cdktf');

describe('cdktf synth with the real Terraform', () => {
  let outDir: string;
  let output: string;
  beforeAll(() => {
    requireTerraform();
    outDir = join(mkdtempSync(join(tmpdir(), 'synth-')), 'cdktf.out');
    // Every environment: no ENV (which would keep one) and no emulator endpoint.
    const run = spawnSync(cdktf, ['synth', '--output', outDir], { cwd: REPOSITORY_ROOT, env: terraformEnv({ ENV: '', LOCAL_AWS_ENDPOINT: '' }), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`cdktf synth failed:\n${run.stdout}\n${run.stderr}`);
    output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  }, 120_000);

  test("prints the build steps' summaries as plain lines and no error line (the CLI marks an app's stderr [ERROR])", () => {
    expect(output).toMatch(/^release [0-9a-f]{16} -> dist\/release( \(|: up to date)/m);
    expect(output.split('\n').filter((line) => /\[ERROR\]|\bERROR\b/.test(line))).toEqual([]);
  });

  test('writes every stack', () => {
    expect(readdirSync(join(outDir, 'stacks')).sort()).toEqual(['state-backend', 'webapp-dev', 'webapp-prod']);
  });

  test.each(['state-backend', 'webapp-dev', 'webapp-prod'])(
    '%s passes terraform validate with the mirrored AWS provider 5.100.0',
    (stack) => {
      const dir = join(outDir, 'stacks', stack);
      terraform(dir, ['init', '-backend=false', '-input=false', '-no-color']);
      const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
      expect(lock).toContain('provider "registry.terraform.io/hashicorp/aws"');
      expect(lock).toContain('version     = "5.100.0"');
      const result = JSON.parse(terraform(dir, ['validate', '-json', '-no-color']));
      expect({ valid: result.valid, errors: result.error_count, warnings: result.diagnostics.map((d: { summary: string }) => d.summary) }).toEqual({ valid: true, errors: 0, warnings: [] });
    },
    120_000,
  );

  test('ships the release archive as a stack asset', () => {
    const assets = join(outDir, 'stacks', 'webapp-dev', 'assets');
    expect(existsSync(assets)).toBe(true);
    const synthesized = JSON.parse(readFileSync(join(outDir, 'stacks', 'webapp-dev', 'cdk.tf.json'), 'utf8'));
    const [object] = Object.values(synthesized.resource.aws_s3_object) as Array<{ source: string }>;
    expect(existsSync(join(outDir, 'stacks', 'webapp-dev', object.source))).toBe(true);
  });
});

describe('synth refusing bad input before Terraform runs', () => {
  test('an unknown environment exits 1 naming ENV', () => {
    const run = spawnSync(join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), ['main.ts'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ENV: 'staging', CDKTF_OUTDIR: join(mkdtempSync(join(tmpdir(), 'synth-bad-')), 'out') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('invalid configuration:\n  ENV = "staging": unknown environment; expected one of dev, prod\n');
  });
});
