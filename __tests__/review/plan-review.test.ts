import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { changedAttributes, formatReview, type PlanJson, reviewPlan } from '../../review/plan-review.js';

// Recorded with `terraform show -json` from real plans of webapp-dev on the local emulator.
const fixture = (name: string): PlanJson => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'plans', `${name}.json`), 'utf8'));
const root = join(import.meta.dirname, '..', '..');

describe('reviewPlan', () => {
  test('counts updates and flags nothing when nothing protected is lost', () => {
    const review = reviewPlan(fixture('second-plan-on-emulator'));
    expect(review.counts).toEqual({ create: 0, update: 5, replace: 0, destroy: 0 });
    expect(review.protectedLosses).toEqual([]);
  });

  test('shows a release as three updates with the attributes that change, nothing protected', () => {
    const review = reviewPlan(fixture('update-release'));
    expect(review.counts).toEqual({ create: 0, update: 3, replace: 0, destroy: 0 });
    expect(Object.fromEntries(review.changes.map((change) => [change.address.replace(/_[0-9A-F]{8}$/, ''), change.attributes]))).toEqual({
      'aws_autoscaling_group.Fleet_Group': ['launch_template'],
      'aws_launch_template.Fleet_LaunchTemplate': ['default_version', 'latest_version', 'user_data'],
      'aws_s3_object.Release_Object': ['metadata', 'source', 'source_hash', 'version_id'],
    });
    expect(formatReview(review)).toMatch(/^\| update \| `aws_launch_template\.Fleet_LaunchTemplate_\w+` \| default_version, latest_version, user_data \|  \|$/m);
  });

  test('flags the replaced load balancer and listener', () => {
    const review = reviewPlan(fixture('replace-load-balancer'));
    expect(review.counts).toEqual({ create: 0, update: 9, replace: 2, destroy: 0 });
    expect(review.protectedLosses.map((change) => change.type).sort()).toEqual(['aws_lb', 'aws_lb_listener']);
  });

  test('flags every protected resource of a destroy, and only those', () => {
    const review = reviewPlan(fixture('destroy'));
    expect(review.counts.destroy).toBe(50);
    expect(review.protectedLosses.map((change) => change.type).sort()).toEqual(['aws_autoscaling_group', 'aws_lb', 'aws_lb_listener', 'aws_s3_bucket']);
  });

  test('formats a table with the counts and the flags', () => {
    const report = formatReview(reviewPlan(fixture('replace-load-balancer')));
    expect(report.split('\n')[0]).toBe('**Plan review**: 0 to create, 9 to update, 2 to replace, 0 to destroy.');
    expect(report).toContain('**2 protected resource(s) would be destroyed or replaced**');
    expect(report).toMatch(/\| replace \| `aws_lb\.LoadBalancer_\w+` \| [^|]* \| PROTECTED \|/);
  });
});

describe('scripts/plan-review.ts, the destroy guard', () => {
  const run = (name: string, env: NodeJS.ProcessEnv = {}) => {
    const path = join(mkdtempSync(join(tmpdir(), 'review-')), 'plan.json');
    copyFileSync(join(root, '__tests__', 'fixtures', 'plans', `${name}.json`), path);
    const result = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'plan-review.ts'), path], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr, summary: JSON.parse(readFileSync(path.replace(/\.json$/, '.review.json'), 'utf8')) };
  };

  test('exits 0 when nothing protected is lost', () => {
    expect(run('second-plan-on-emulator').status).toBe(0);
  });

  test('exits 3 when the load balancer would be replaced', () => {
    const result = run('replace-load-balancer');
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('set ALLOW_DESTROY=1 to accept');
    expect(result.summary.protectedLosses).toHaveLength(2);
  });

  test('exits 0 with ALLOW_DESTROY=1', () => {
    expect(run('destroy', { ALLOW_DESTROY: '1' }).status).toBe(0);
  });
});

describe('changedAttributes', () => {
  const update = (before: object, after: object, after_unknown: object = {}) => ({ actions: ['update'], before, after, after_unknown });

  test('names the top-level attributes whose values differ, sorted', () => {
    expect(changedAttributes(update({ user_data: 'a', name: 'n', port: 80 }, { user_data: 'b', name: 'n', port: 81 }))).toEqual(['port', 'user_data']);
  });

  test('names attributes known only after the apply, at any depth', () => {
    expect(changedAttributes(update({ latest_version: 1, launch_template: [{ id: 'lt', version: '1' }] }, { launch_template: [{ id: 'lt' }] }, { latest_version: true, launch_template: [{ version: true }] }))).toEqual([
      'latest_version',
      'launch_template',
    ]);
  });

  test('counts null and empty values as the same, at any depth, but not false or 0', () => {
    expect(changedAttributes(update({ spec: [{ preference: null, ids: null }], tags: null }, { spec: [{ preference: '', ids: [] }], tags: {} }))).toEqual([]);
    expect(changedAttributes(update({ enabled: null, count: null }, { enabled: false, count: 0 }))).toEqual(['count', 'enabled']);
    expect(changedAttributes(update({ list: [] }, { list: [{}] }))).toEqual(['list']);
  });

  test('is empty for a create or a destroy (no before or no after)', () => {
    expect(changedAttributes({ actions: ['create'], before: null, after: { a: 1 } })).toEqual([]);
  });
});
