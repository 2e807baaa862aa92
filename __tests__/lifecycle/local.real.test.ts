// The deploy lifecycle against the local AWS emulator, through the project's own commands
// (scripts/stack.sh, which `make local`, `make create_stack` and `make delete_stack` run).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { HeadObjectCommand, ListBucketsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../config/load-config.js';
import { RELEASE_MANIFEST_FILE } from '../../constants.js';
import { FAKE_CREDENTIALS, type Moto, startMoto } from '../moto.js';
import { REPOSITORY_ROOT, requireTerraform, terraform } from '../terraform.js';

const { project } = loadConfig(join(REPOSITORY_ROOT, 'config'));
const STATE_KEY = `${project.project}/dev/terraform.tfstate`;
let moto: Moto;
const client = <T>(Client: new (config: object) => T) =>
  new Client({ endpoint: moto.endpoint, region: project.region, forcePathStyle: true, credentials: FAKE_CREDENTIALS });

/** Runs scripts/stack.sh as `make … LOCAL=1` does, against this test's emulator. */
function stack(action: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(REPOSITORY_ROOT, 'scripts', 'stack.sh'), [action], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, LOCAL: '1', LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev', CI: 'true' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => resolve({ status, output: output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') }));
  });
}

const stackDir = (name: string) => join(REPOSITORY_ROOT, 'cdktf.local.out', 'stacks', name);
const localEnv = () => ({ LOCAL_AWS_ENDPOINT: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' });

beforeAll(async () => {
  requireTerraform();
  moto = await startMoto({ MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' });
}, 60_000);
afterAll(() => moto?.stop());

describe('the lifecycle on the local emulator', () => {
  test('create: bootstraps the state bucket and deploys webapp-dev, with its state in the emulator and no lock left', async () => {
    const run = await stack('create');
    expect({ status: run.status, tail: run.status === 0 ? '' : run.output.slice(-3000) }).toEqual({ status: 0, tail: '' });

    const outputs = JSON.parse(terraform(stackDir('webapp-dev'), ['output', '-json'], localEnv()));
    const manifest = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'dist', 'release', RELEASE_MANIFEST_FILE), 'utf8'));
    expect(outputs.release_id.value).toBe(manifest.releaseId);
    expect(outputs.url.value).toMatch(/^http:\/\/webapp-dev-.*\.elb\.amazonaws\.com$/);

    const s3 = client(S3Client);
    const state = await s3.send(new HeadObjectCommand({ Bucket: project.stateBucketName, Key: STATE_KEY }));
    expect(state.ContentLength).toBeGreaterThan(1000);
    // The lock file was written and removed: no current version of it remains (only a delete marker).
    const lock = await s3.send(new ListObjectVersionsCommand({ Bucket: project.stateBucketName, Prefix: `${STATE_KEY}.tflock` }));
    expect((lock.Versions ?? []).filter((version) => version.IsLatest)).toEqual([]);
    expect((lock.DeleteMarkers ?? []).filter((marker) => marker.IsLatest).length).toBe(1);
  }, 900_000);

  test('bootstrap again changes nothing', () => {
    // terraform plan -detailed-exitcode: 0 = no changes, 2 = changes
    expect(() => terraform(stackDir('state-backend'), ['plan', '-detailed-exitcode', '-input=false', '-no-color'], localEnv())).not.toThrow();
  }, 300_000);

  test('plan: saves the plan, its JSON and a review that flags no protected loss', async () => {
    const run = await stack('plan');
    expect({ status: run.status, tail: run.status === 0 ? '' : run.output.slice(-3000) }).toEqual({ status: 0, tail: '' });
    const review = JSON.parse(readFileSync(join(stackDir('webapp-dev'), 'plan.review.json'), 'utf8'));
    // Only updates, from the emulator's known gaps; the exact attributes are issue 5's remaining work.
    expect({ create: review.counts.create, replace: review.counts.replace, destroy: review.counts.destroy, protectedLosses: review.protectedLosses }).toEqual({
      create: 0,
      replace: 0,
      destroy: 0,
      protectedLosses: [],
    });
    expect(run.output).toContain('**Plan review**');
  }, 300_000);

  test('delete: nothing of the environment is left, and the state bucket keeps the state history', async () => {
    const run = await stack('delete');
    expect({ status: run.status, tail: run.status === 0 ? '' : run.output.slice(-3000) }).toEqual({ status: 0, tail: '' });
    expect(run.output).toMatch(/Destroy complete! Resources: \d+ destroyed/);

    const loadBalancers = await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}));
    const groups = await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({}));
    const vpcs = await client(EC2Client).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Project', Values: [project.project] }] }));
    const buckets = await client(S3Client).send(new ListBucketsCommand({}));
    expect({
      loadBalancers: loadBalancers.LoadBalancers ?? [],
      groups: groups.AutoScalingGroups ?? [],
      vpcs: vpcs.Vpcs ?? [],
      buckets: (buckets.Buckets ?? []).map((bucket) => bucket.Name),
    }).toEqual({ loadBalancers: [], groups: [], vpcs: [], buckets: [project.stateBucketName] });

    const versions = await client(S3Client).send(new ListObjectVersionsCommand({ Bucket: project.stateBucketName, Prefix: STATE_KEY }));
    expect((versions.Versions ?? []).filter((version) => version.Key === STATE_KEY).length).toBeGreaterThanOrEqual(2);
  }, 900_000);
});
