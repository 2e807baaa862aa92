import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadSkips, scanStack } from '../../policy/scan.js';

const STACKS = ['state-backend', 'webapp-dev', 'webapp-prod'];
const report = (failed: Array<[string, string]>, passed = 10) => ({
  check_type: 'terraform_json',
  results: { failed_checks: failed.map(([check_id, resource]) => ({ check_id, check_name: `name of ${check_id}`, resource })) },
  summary: { passed, failed: failed.length },
});

describe('loadSkips', () => {
  test('reads the checked-in list: every skip has a one-line reason, and the list is short', () => {
    const skips = loadSkips(readFileSync(join(import.meta.dirname, '..', '..', 'policy', 'checkov-skips.yaml'), 'utf8'), STACKS);
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.length).toBeLessThanOrEqual(16);
    for (const skip of skips) expect(skip.reason).not.toContain('\n');
    // Each names the resources its reason covers (issue 20): none is a blanket skip.
    for (const skip of skips) expect(skip.resources.length).toBeGreaterThan(0);
  });

  test('applies a skip without stacks to every stack', () => {
    expect(loadSkips('- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n', STACKS)[0].stacks).toEqual(STACKS);
  });

  test.each([
    ['- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n', '0.reason: Invalid input: expected string, received undefined'],
    ['- check: CKV_AWS_18\n  reason: nothing writes to these buckets but Terraform\n', '0.resources: Invalid input: expected array, received undefined'],
    ['- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n  reason: because\n', '0.reason: must say why, in a sentence'],
    ['- check: AWS_18\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n', '0.check: must be a checkov AWS check id such as CKV_AWS_18'],
    ['- check: CKV_AWS_18\n  stacks: [webapp-qa]\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n', '0.stacks: webapp-qa is not a synthesized stack (state-backend, webapp-dev, webapp-prod)'],
    ['- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n  why: extra\n', '0: Unrecognized key: "why"'],
    [
      '- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n- check: CKV_AWS_18\n  resources: [Artifacts_Bucket]\n  reason: nothing writes to these buckets but Terraform\n',
      '1.check: CKV_AWS_18 is listed twice',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => loadSkips(text, STACKS)).toThrow(`policy/checkov-skips.yaml: ${message}`);
  });
});

describe('scanStack', () => {
  const skips = loadSkips('- check: CKV_AWS_18\n  resources: [aws_s3_bucket.A]\n  reason: nothing writes to these buckets but Terraform\n- check: CKV_AWS_2\n  stacks: [webapp-dev]\n  resources: [aws_lb_listener.L]\n  reason: dev has no certificate, so HTTP only\n', STACKS);

  test('splits failures into skipped (with the reason) and not skipped', () => {
    const scan = scanStack('webapp-prod', report([['CKV_AWS_18', 'aws_s3_bucket.A'], ['CKV_AWS_2', 'aws_lb_listener.L']], 42), skips);
    expect(scan).toEqual({
      stack: 'webapp-prod',
      passed: 42,
      failures: [{ check: 'CKV_AWS_2', name: 'name of CKV_AWS_2', resource: 'aws_lb_listener.L' }],
      skipped: [{ check: 'CKV_AWS_18', name: 'name of CKV_AWS_18', resource: 'aws_s3_bucket.A', reason: 'nothing writes to these buckets but Terraform' }],
    });
  });

  test('honours a skip only for the stacks it names', () => {
    expect(scanStack('webapp-dev', report([['CKV_AWS_2', 'aws_lb_listener.L']]), skips).failures).toEqual([]);
  });

  test('honours a skip only for failing resources whose address contains one it names', () => {
    const scoped = loadSkips('- check: CKV_AWS_111\n  resources: [Alarms_KeyPolicy, Nowhere_Else]\n  reason: a key policy names its own key as Resource "*"\n', STACKS);
    const scan = scanStack('webapp-dev', report([['CKV_AWS_111', 'data.Alarms_KeyPolicy_1'], ['CKV_AWS_111', 'data.Fleet_ReleaseReadPolicy_2']]), scoped);
    expect(scan.skipped.map((finding) => finding.resource)).toEqual(['data.Alarms_KeyPolicy_1']);
    expect(scan.failures.map((finding) => finding.resource)).toEqual(['data.Fleet_ReleaseReadPolicy_2']);
  });

  test("refuses checkov's empty answer: every stack has resources, so nothing checked is a broken scan", () => {
    expect(() => scanStack('webapp-dev', [], skips)).toThrow('checkov found nothing to check in webapp-dev: its parser did not read the stack');
  });

  test('refuses a report that is not checkov JSON', () => {
    expect(() => scanStack('webapp-dev', { results: {} }, skips)).toThrow();
  });
});
