// The policy scan with the real checkov on the real synthesized stacks.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { replacedOnce } from '../edits.js';
import { REPOSITORY_ROOT, terraformEnv } from '../terraform.js';

const tsx = join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx');
const scan = (stacksDir: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(tsx, [join(REPOSITORY_ROOT, 'scripts', 'policy-scan.ts'), stacksDir], { cwd: REPOSITORY_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

describe('policy scan (checkov) of every synthesized stack', () => {
  let stacksDir: string;
  beforeAll(() => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'scan-')), 'cdktf.out');
    const run = spawnSync(join(REPOSITORY_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', outDir], { cwd: REPOSITORY_ROOT, env: terraformEnv({ ENV: '', LOCAL_AWS_ENDPOINT: '' }), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`cdktf synth failed:\n${run.stdout}\n${run.stderr}`);
    stacksDir = join(outDir, 'stacks');
  }, 120_000);

  test('passes every check except the reasoned skips, and no skip is stale', () => {
    const run = scan(stacksDir);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\| webapp-prod \| \d{3} \| 0 \| \d+ \|$/m);
    expect(run.stdout).not.toMatch(/FAILED|STALE/);
    const report = JSON.parse(readFileSync(join(stacksDir, '..', 'policy-scan.json'), 'utf8'));
    expect(report.scans.map((stack: { stack: string }) => stack.stack)).toEqual(['state-backend', 'webapp-dev', 'webapp-prod', 'workflow ci.yml']);
    // The users' workflow too, by checkov's github_actions checks: read, not skipped as its schema would have it.
    expect(run.stdout).toMatch(/^\| workflow ci\.yml \| [1-9]\d* \| 0 \| 0 \|$/m);
  }, 180_000);

  test('fails, naming the check and the resource, when a stack opens SSH to the world', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'scan-bad-')), 'stacks');
    cpSync(stacksDir, copy, { recursive: true });
    const file = join(copy, 'webapp-dev', 'cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8'));
    stack.resource.aws_security_group.OpenSsh = { name: 'open-ssh', description: 'SSH from anywhere', ingress: [{ description: 'ssh', from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] }] };
    writeFileSync(file, JSON.stringify(stack));
    const run = scan(copy);
    expect(run.status).toBe(1);
    // checkov names some resources by type, others as `resource.<name>`
    expect(run.stdout).toMatch(/^FAILED webapp-dev: CKV_AWS_24 (aws_security_group|resource)\.OpenSsh: Ensure no security groups allow ingress from 0\.0\.0\.0:0 to port 22$/m);
  }, 180_000);

  test('fails, naming the check, when the workflow grants every job write access', () => {
    const workflow = join(mkdtempSync(join(tmpdir(), 'scan-workflow-bad-')), 'ci.yml');
    const text = readFileSync(join(REPOSITORY_ROOT, '.github', 'workflows', 'ci.yml'), 'utf8');
    writeFileSync(workflow, replacedOnce(text, /^permissions:\n(  .*\n)+/m, 'permissions: write-all\n', 'the workflow\'s top-level permissions'));
    const run = scan(stacksDir, { WORKFLOW_FILE: workflow });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAILED workflow ci\.yml: CKV2_GHA_1 .*write-all/m);
  }, 180_000);
});
