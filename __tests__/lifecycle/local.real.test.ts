// The deploy lifecycle against the local AWS emulator, through the project's own commands
// (scripts/stack.sh, which `make local`, `make create_stack`, `make update_stack`, `make plan` and
// `make delete_stack` run), in a copy of the repository whose service the test changes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetDashboardCommand, ListDashboardsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { loadConfig } from '../../config/load-config.js';
import { RELEASE_MANIFEST_FILE, RELEASE_OBJECT_KEY } from '../../constants.js';
import { EMULATOR_IGNORED_ATTRIBUTES } from '../../stacks/local-emulator.js';
import { BOOTSTRAP_STATE_KEY } from '../../stacks/state-backend-stack.js';
import { LOCAL_MODE_MOTO_ENV, type Moto, startMoto } from '../../support/moto.js';
import { replacedOnce } from '../edits.js';
import { REPOSITORY_ROOT, requireTerraform, terraform, terraformEnv } from '../terraform.js';
import { copyWorkspace, emulatorClient, emulatorCloudWatch, lifecycleSteps, localModeEnv, planChanges, readJson, shortAddress, succeeded, type Workspace } from './workspace.js';

const { project } = loadConfig(join(REPOSITORY_ROOT, 'config'));
const STATE_KEY = `${project.project}/dev/terraform.tfstate`;
let moto: Moto;
let workspace: Workspace;
const client = <T>(Client: new (config: object) => T) => emulatorClient(Client, moto.endpoint, project.region);
const stack = (action: string) => workspace.stack(action, { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev' });
const devDir = () => workspace.stackDir('webapp-dev');
const localEnv = () => localModeEnv(moto.endpoint);

/** Shortened addresses of the plan's changes, with their actions and attributes. */
function changesOf(plan: object) {
  return Object.fromEntries(Object.entries(planChanges(plan)).map(([address, change]) => [shortAddress(address), change]));
}

/** Plans a stack directory's configuration (a plan only reads, so without the lock); returns the plan JSON. */
function planWithoutLock(dir: string) {
  terraform(dir, ['plan', '-lock=false', '-input=false', '-no-color', '-out=check.tfplan'], localEnv());
  return JSON.parse(terraform(dir, ['show', '-json', 'check.tfplan'], localEnv()));
}

async function currentRelease() {
  const s3 = client(S3Client);
  const outputs = JSON.parse(terraform(devDir(), ['output', '-json'], localEnv()));
  const bucket = outputs.artifact_bucket.value as string;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: RELEASE_OBJECT_KEY }));
  return { bucket, versionId: head.VersionId!, sha256: head.Metadata?.sha256, releaseId: head.Metadata?.['release-id'], outputs };
}

const lockHeld = async () =>
  client(S3Client).send(new HeadObjectCommand({ Bucket: project.stateBucketName, Key: `${STATE_KEY}.tflock` })).then(
    () => true,
    () => false,
  );
const devGroup = async () => (await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['webapp-dev'] }))).AutoScalingGroups![0];
const groupVersion = async () => (await devGroup()).LaunchTemplate!.Version;
const groupTemplateId = async () => (await devGroup()).LaunchTemplate!.LaunchTemplateId!;

beforeAll(async () => {
  requireTerraform();
  moto = await startMoto(LOCAL_MODE_MOTO_ENV);
  workspace = copyWorkspace();
}, 60_000);
afterAll(() => moto?.stop());

describe('the lifecycle of webapp-dev on the local emulator', () => {
  // Each step builds on the ones before: after a failed step the rest fail at once, naming it.
  const step = lifecycleSteps();

  step('make local (the main job): bootstraps the state bucket, then plans, reviews and applies exactly that plan, with the state in the emulator and no lock left', async () => {
    const run = await stack('local');
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    // One plan, reviewed before anything changed, then that plan applied (and used up): no second plan.
    const planned = Number(/\*\*Plan review\*\*: (\d+) to create, 0 to update, 0 to replace, 0 to destroy\./.exec(run.output)?.[1]);
    expect(planned).toBeGreaterThan(40);
    expect(run.output).toContain(`Apply complete! Resources: ${planned} added, 0 changed, 0 destroyed.`);
    expect(run.output.match(/\*\*Plan review\*\*/g)).toHaveLength(1);
    expect(existsSync(join(devDir(), 'plan.tfplan'))).toBe(false);
    // A successful run prints no error line (the cdktf CLI would mark an app's stderr as [ERROR]).
    expect(run.output.split('\n').filter((line) => /\[ERROR\]|\bError:/.test(line))).toEqual([]);

    const manifest = readJson(join(workspace.root, 'dist', 'release', RELEASE_MANIFEST_FILE));
    const release = await currentRelease();
    expect(release.outputs.release_id.value).toBe(manifest.releaseId);
    expect(release.outputs.url.value).toMatch(/^http:\/\/webapp-dev-.*\.elb\.amazonaws\.com$/);
    // Uploaded after versioning was on: a real version id to pin, not S3's "null" version.
    expect(release.versionId).toMatch(/^[A-Za-z0-9._-]{8,}$/);
    expect(release.versionId).not.toBe('null');
    expect({ releaseId: release.releaseId, sha256: release.sha256 }).toEqual({
      releaseId: manifest.releaseId,
      sha256: createHash('sha256').update(readFileSync(join(workspace.root, 'dist', 'release.zip'))).digest('hex'),
    });

    const s3 = client(S3Client);
    const state = await s3.send(new HeadObjectCommand({ Bucket: project.stateBucketName, Key: STATE_KEY }));
    expect(state.ContentLength).toBeGreaterThan(1000);
    // The bucket's default SSE-KMS applies: the backend sends no encryption of its own (with `encrypt` it would send AES256).
    const releaseObject = await s3.send(new HeadObjectCommand({ Bucket: release.bucket, Key: RELEASE_OBJECT_KEY }));
    expect({ state: state.ServerSideEncryption, release: releaseObject.ServerSideEncryption }).toEqual({ state: 'aws:kms', release: 'aws:kms' });
    // The lock file was written and removed: no current version of it remains (only a delete marker).
    const lock = await s3.send(new ListObjectVersionsCommand({ Bucket: project.stateBucketName, Prefix: `${STATE_KEY}.tflock` }));
    expect((lock.Versions ?? []).filter((version) => version.IsLatest)).toEqual([]);
    expect((lock.DeleteMarkers ?? []).filter((marker) => marker.IsLatest).length).toBe(1);

    // The dashboard graphs the load balancer this deploy made (its ARN suffix as the metrics' dimension).
    expect(release.outputs.dashboard_url.value).toBe(`https://${project.region}.console.aws.amazon.com/cloudwatch/home?region=${project.region}#dashboards/dashboard/webapp-dev`);
    const widgets = JSON.parse((await emulatorCloudWatch(moto.endpoint, project.region).send(new GetDashboardCommand({ DashboardName: 'webapp-dev' }))).DashboardBody!).widgets as { properties: { metrics: string[][] } }[];
    const [loadBalancer] = (await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}))).LoadBalancers!;
    expect({ widgets: widgets.length, requests: widgets[0].properties.metrics[0].slice(0, 4) }).toEqual({
      widgets: 6,
      requests: ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', loadBalancer.LoadBalancerArn!.split(':loadbalancer/')[1]],
    });

    // The bootstrap's own state moved into the bucket it made; no local copy is left behind.
    const bootstrapState = await s3.send(new HeadObjectCommand({ Bucket: project.stateBucketName, Key: BOOTSTRAP_STATE_KEY(project.project) }));
    expect(bootstrapState.ContentLength).toBeGreaterThan(1000);
    expect(bootstrapState.ServerSideEncryption).toBe('aws:kms');
    expect(existsSync(join(workspace.root, '.local', 'state-backend.first.tfstate'))).toBe(false);
  }, 900_000);

  step('status and logs read the environment with describe calls: the release shipped, the instance, the alarms; its console', async () => {
    const manifest = readJson(join(workspace.root, 'dist', 'release', RELEASE_MANIFEST_FILE));
    const [instance] = (await devGroup()).Instances!;
    const status = await stack('status');
    expect(succeeded(status)).toEqual({ status: 0, tail: '' });
    expect(status.output).toContain(`  the stack ships     ${manifest.releaseId}  (launch template version 1, the default)`);
    expect(status.output).toContain(`  the group launches  ${manifest.releaseId}  (launch template version 1)`);
    expect(status.output).toMatch(new RegExp(`  ${instance.InstanceId}  ${instance.AvailabilityZone}  InService  Healthy  target healthy  version 1  release ${manifest.releaseId}`));
    expect(status.output).toContain('Capacity: desired 1 (min 1, max 3); 1 in service, 0 pending');
    expect(status.output).toContain('Alarms: none in ALARM (of 4)');
    expect(status.output).toContain('/version answers    not reachable: http://webapp-dev-');

    // moto's console output is a fixed kernel log: the plumbing (GetConsoleOutput, base64) is what this checks.
    const logs = await stack('logs');
    expect(succeeded(logs)).toEqual({ status: 0, tail: '' });
    expect(logs.output).toMatch(new RegExp(`==> ${instance.InstanceId} \\(InService, ${instance.AvailabilityZone}\\), console as of .*\\nLinux version`));
    expect(logs.output).toContain(`  ${instance.InstanceId}  no install line on the console`);
    const stranger = await workspace.stack('logs', { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev', INSTANCE: 'i-0123456789abcdef0' });
    expect({ status: stranger.status, said: stranger.output.trim() }).toEqual({ status: 1, said: `INSTANCE=i-0123456789abcdef0 is not an instance of webapp-dev; its instances: ${instance.InstanceId}` });

    // Reading commands never start an emulator of their own: one that is not there is said so.
    const nowhere = await workspace.stack('status', { LOCAL_PORT: '1', ENV: 'dev' });
    expect({ status: nowhere.status, said: nowhere.output.trim() }).toEqual({ status: 1, said: 'no emulator answers at http://127.0.0.1:1: make local starts one and deploys to it' });
  }, 300_000);

  step('bootstrap again changes nothing', () => {
    // terraform plan -detailed-exitcode: 0 = no changes, 2 = changes
    expect(() => terraform(workspace.stackDir('state-backend'), ['plan', '-detailed-exitcode', '-input=false', '-no-color'], localEnv())).not.toThrow();
  }, 300_000);

  step('a second clone (a teammate, a CI runner) runs create_stack: it succeeds and changes nothing', async () => {
    const second = copyWorkspace();
    const run = await second.stack('create', { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev' });
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    // Both deploys (state-backend and webapp-dev) found nothing to do; the group already runs the release.
    expect(run.output.match(/No changes\. Your infrastructure matches the configuration\./g)?.length).toBe(2);
    expect(run.output).toContain('webapp-dev already runs launch template version 1: nothing to roll');
    const buckets = await client(S3Client).send(new ListBucketsCommand({}));
    expect((buckets.Buckets ?? []).filter((bucket) => bucket.Name === project.stateBucketName)).toHaveLength(1);
  }, 600_000);

  step('a second plan changes no attribute of any resource, and the review says so', async () => {
    const run = await stack('plan');
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    const plan = readJson(join(devDir(), 'plan.json'));
    expect(plan.resource_changes.length).toBeGreaterThan(40);
    expect(changesOf(plan)).toEqual({});
    expect(run.output).toContain('**Plan review**: 0 to create, 0 to update, 0 to replace, 0 to destroy.');
  }, 300_000);

  step("each emulator gap local mode ignores is still a gap: without the handling, exactly those attributes (and what follows from them) change", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gaps-')), 'webapp-dev');
    cpSync(devDir(), dir, { recursive: true });
    const config = readJson(join(dir, 'cdk.tf.json'));
    for (const [type, resources] of Object.entries(config.resource as Record<string, Record<string, { lifecycle?: { ignore_changes?: string[] } }>>)) {
      const gaps = new Set((EMULATOR_IGNORED_ATTRIBUTES[type] ?? []).map((gap) => gap.attribute));
      for (const resource of Object.values(resources)) {
        const kept = resource.lifecycle?.ignore_changes?.filter((attribute) => !gaps.has(attribute));
        if (resource.lifecycle?.ignore_changes) resource.lifecycle.ignore_changes = kept;
      }
    }
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(config));
    expect(changesOf(planWithoutLock(dir))).toEqual({
      'aws_autoscaling_group.Fleet': { actions: 'update', attributes: ['default_instance_warmup'] },
      'aws_autoscaling_policy.Fleet_CpuTarget': { actions: 'update', attributes: ['enabled', 'predictive_scaling_configuration'] },
      // A changed template gets a new version; the group's version is the release step's.
      'aws_launch_template.Fleet_LaunchTemplate': { actions: 'update', attributes: ['default_version', 'latest_version', 'tag_specifications'] },
      'aws_vpc_security_group_egress_rule.LoadBalancer_ToTargets': { actions: 'update', attributes: ['description'] },
      'aws_vpc_security_group_ingress_rule.Fleet_FromLoadBalancer': { actions: 'update', attributes: ['description'] },
    });
  }, 300_000);

  step('update_stack: a changed service changes only the release object and the launch template, replacing nothing; the release step moves the group', async () => {
    const before = await currentRelease();
    appendFileSync(join(workspace.root, 'service', 'public', 'site.css'), '/* a change shipped by update_stack */\n');

    const planned = await stack('plan');
    expect(succeeded(planned)).toEqual({ status: 0, tail: '' });
    expect(changesOf(readJson(join(devDir(), 'plan.json')))).toEqual({
      'aws_s3_object.Release': { actions: 'update', attributes: ['metadata', 'source', 'source_hash', 'version_id'] },
      'aws_launch_template.Fleet_LaunchTemplate': { actions: 'update', attributes: ['default_version', 'latest_version', 'user_data'] },
    });

    const updated = await stack('update');
    expect(succeeded(updated)).toEqual({ status: 0, tail: '' });
    expect(updated.output).toContain('emulator: no instance refresh (moto lacks StartInstanceRefresh); webapp-dev now names version 2');
    const after = await currentRelease();
    const manifest = readJson(join(workspace.root, 'dist', 'release', RELEASE_MANIFEST_FILE));
    expect(after.releaseId).toBe(manifest.releaseId);
    expect(after.releaseId).not.toBe(before.releaseId);
    expect(after.versionId).not.toBe(before.versionId);

    // The group names the new template version, whose user data fetches exactly the new object version.
    const group = (await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['webapp-dev'] }))).AutoScalingGroups![0];
    const versions = await client(EC2Client).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: group.LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }));
    const latest = versions.LaunchTemplateVersions![0];
    expect(group.LaunchTemplate!.Version).toBe(String(latest.VersionNumber));
    expect(latest.VersionNumber).toBe(2);
    const userData = gunzipSync(Buffer.from(latest.LaunchTemplateData!.UserData!, 'base64')).toString('utf8');
    expect(userData).toContain(`RELEASE_VERSION_ID=${after.versionId}`);
    expect(userData).toContain(`RELEASE_SHA256=${after.sha256}`);

    // The old release stays as a noncurrent version, so the previous template version still boots.
    const old = await client(S3Client).send(new GetObjectCommand({ Bucket: after.bucket, Key: RELEASE_OBJECT_KEY, VersionId: before.versionId }));
    expect(old.Metadata?.['release-id']).toBe(before.releaseId);

    // Terraform does not see the version the release step set as drift.
    expect(changesOf(planWithoutLock(devDir()))).toEqual({});
  }, 900_000);

  step('rollback: the group goes back to the previous template version, whose user data fetches the previous release; no drift', async () => {
    const run = await stack('rollback');
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    expect(run.output).toContain('rolling webapp-dev back from launch template version 2 to 1');
    expect(await groupVersion()).toBe('1');
    const versions = await client(EC2Client).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: await groupTemplateId(), Versions: ['1'] }));
    const userData = gunzipSync(Buffer.from(versions.LaunchTemplateVersions![0].LaunchTemplateData!.UserData!, 'base64')).toString('utf8');
    const [first] = (await client(S3Client).send(new ListObjectVersionsCommand({ Bucket: (await currentRelease()).bucket, Prefix: RELEASE_OBJECT_KEY }))).Versions!.filter((version) => !version.IsLatest);
    expect(userData).toContain(`RELEASE_VERSION_ID=${first.VersionId}`);
    expect(changesOf(planWithoutLock(devDir()))).toEqual({});
    // make status tells the rolled-back fleet from what the stack ships, by each version's user data.
    const status = await stack('status');
    const releaseIds = [(await currentRelease()).releaseId, (await client(S3Client).send(new HeadObjectCommand({ Bucket: (await currentRelease()).bucket, Key: RELEASE_OBJECT_KEY, VersionId: first.VersionId }))).Metadata?.['release-id']];
    expect(status.output).toContain(`  the stack ships     ${releaseIds[0]}  (launch template version 2, the default)`);
    expect(status.output).toContain(`  the group launches  ${releaseIds[1]}  (launch template version 1; not the default: a release step is under way or was rolled back)`);
    // The release step rolls forward again when asked (on AWS it would first refuse a rolled-back release).
    expect(succeeded(await stack('update'))).toEqual({ status: 0, tail: '' });
    expect(await groupVersion()).toBe('2');
  }, 600_000);

  step('apply_plan: applies exactly the saved plan, not what changed after it, then the release step; the plan applies once, and a stale copy is refused', async () => {
    const css = join(workspace.root, 'service', 'public', 'site.css');
    appendFileSync(css, '/* a change reviewed in a saved plan */\n');
    expect(succeeded(await stack('plan'))).toEqual({ status: 0, tail: '' });
    const planFile = join(devDir(), 'plan.tfplan');
    const saved = readFileSync(planFile);
    const reviewed = readJson(join(devDir(), 'plan.json')) as { resource_changes: { address: string; change: { after: { source_hash?: string } } }[] };
    const reviewedSha = reviewed.resource_changes.find((change) => change.address.startsWith('aws_s3_object.Release_'))?.change.after.source_hash;
    expect(reviewedSha).toMatch(/^[0-9a-f]{64}$/);
    // A change after the review: the apply must not pick it up (it neither builds nor synthesizes).
    appendFileSync(css, '/* written after the review */\n');

    const applied = await stack('apply');
    expect(succeeded(applied)).toEqual({ status: 0, tail: '' });
    expect(applied.output).toContain('Apply complete! Resources: 0 added, 2 changed, 0 destroyed.');
    expect((await currentRelease()).sha256).toBe(reviewedSha);
    const latest = (await client(EC2Client).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: await groupTemplateId(), Versions: ['$Latest'] }))).LaunchTemplateVersions![0];
    expect(await groupVersion()).toBe(String(latest.VersionNumber));
    expect(existsSync(planFile)).toBe(false);

    const again = await stack('apply');
    expect({ status: again.status, said: again.output.includes(`no saved plan at cdktf.local.out/stacks/webapp-dev/plan.tfplan`) }).toEqual({ status: 2, said: true });
    writeFileSync(planFile, saved);
    const stale = await stack('apply');
    expect({ status: stale.status, said: stale.output.includes('Saved plan is stale') }).toEqual({ status: 1, said: true });
    expect((await currentRelease()).sha256).toBe(reviewedSha);
  }, 600_000);

  step('a deploy killed halfway: the next command names the lock, its holder and the command that clears it; after clearing, a re-run converges with nothing duplicated', async () => {
    appendFileSync(join(workspace.root, 'service', 'public', 'site.css'), '/* a release whose deploy is killed */\n');
    const killed = spawn(join(workspace.root, 'scripts', 'stack.sh'), ['update'], {
      cwd: workspace.root,
      detached: true,
      env: { ...process.env, LOCAL: '1', CI: 'true', LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => killed.on('close', resolve));
    const deadline = Date.now() + 240_000;
    while (!(await lockHeld())) {
      if (Date.now() > deadline) throw new Error('the deploy never took the state lock');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000)); // into the apply
    process.kill(-killed.pid!, 'SIGKILL'); // cdktf, terraform and the provider alike
    await exited;
    expect(await lockHeld()).toBe(true);

    const refused = await stack('update');
    expect(refused.status).not.toBe(0);
    const lockId = /make unlock ENV=dev LOCK_ID=(\S+)/.exec(refused.output)?.[1];
    expect(refused.output).toMatch(/The state s3:\/\/[^ ]+\/webapp\/dev\/terraform\.tfstate is locked: a terraform apply by \S+ \(Terraform 1\.\d+\.\d+\) holds it since \d{4}-\d\d-\d\dT/);
    expect(lockId).toMatch(/^[0-9a-f-]{36}$/);

    expect(succeeded(await workspace.stack('unlock', { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev', LOCK_ID: lockId }))).toEqual({ status: 0, tail: '' });
    expect(await lockHeld()).toBe(false);
    expect(succeeded(await stack('update'))).toEqual({ status: 0, tail: '' });
    expect(changesOf(planWithoutLock(devDir()))).toEqual({});
    const groups = await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({}));
    const loadBalancers = await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}));
    const vpcs = await client(EC2Client).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Project', Values: [project.project] }] }));
    expect([groups.AutoScalingGroups?.length, loadBalancers.LoadBalancers?.length, vpcs.Vpcs?.length]).toEqual([1, 1, 1]);
    // The group runs the newest template version (the killed run may have written one the re-run replaced).
    const [template] = (await client(EC2Client).send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [await groupTemplateId()] }))).LaunchTemplates!;
    expect(await groupVersion()).toBe(String(template.DefaultVersionNumber));
    expect(template.DefaultVersionNumber).toBeGreaterThanOrEqual(3);
  }, 900_000);

  step('locking: of two applies at once, the second is refused with the state-lock error, and the state is intact', async () => {
    const s3 = client(S3Client);
    const stateBefore = JSON.parse(terraform(devDir(), ['state', 'pull'], localEnv()));
    const apply = () => {
      const child = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: devDir(), env: terraformEnv(localEnv()) });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      return new Promise<{ status: number | null; output: string }>((resolve) => child.on('close', (status) => resolve({ status, output })));
    };
    const first = apply();
    // Start the second once the first holds the lock (its lock object exists).
    const lockHeld = async () => s3.send(new HeadObjectCommand({ Bucket: project.stateBucketName, Key: `${STATE_KEY}.tflock` })).then(() => true, () => false);
    const deadline = Date.now() + 60_000;
    while (!(await lockHeld())) {
      if (Date.now() > deadline) throw new Error(`the first apply never took the lock:\n${(await first).output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const second = await apply();
    const firstResult = await first;

    expect(second.status).toBe(1);
    expect(second.output).toContain('Error acquiring the state lock');
    expect(firstResult).toMatchObject({ status: 0 });
    expect(firstResult.output).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    expect(await lockHeld()).toBe(false);
    const stateAfter = JSON.parse(terraform(devDir(), ['state', 'pull'], localEnv()));
    expect({ lineage: stateAfter.lineage, resources: stateAfter.resources.length }).toEqual({ lineage: stateBefore.lineage, resources: stateBefore.resources.length });
    expect(stateAfter.serial).toBeGreaterThanOrEqual(stateBefore.serial);
  }, 300_000);

  step('plan, and make local, refuse a change that would replace the load balancer (exit 3, nothing applied) unless ALLOW_DESTROY=1', async () => {
    const file = join(workspace.root, 'constructs', 'load-balancer.ts');
    const original = readFileSync(file, 'utf8');
    const loadBalancers = async () => (await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.map((lb) => lb.LoadBalancerArn);
    const before = await loadBalancers();
    // `internal` cannot change in place: Terraform must replace the load balancer (and its listener).
    writeFileSync(file, replacedOnce(original, 'internal: false,', 'internal: true,', 'constructs/load-balancer.ts'));
    try {
      const refused = await stack('plan');
      expect(refused.status).toBe(3);
      expect(refused.output).toMatch(/\| replace \| `aws_lb\.LoadBalancer_\w+` \| [^|]* \| PROTECTED \|/);
      expect(refused.output).toContain('refusing: protected resources would be destroyed or replaced; set ALLOW_DESTROY=1 to accept');
      // A refused plan is not left for make apply_plan to apply.
      expect(existsSync(join(devDir(), 'plan.tfplan'))).toBe(false);
      // The main job reviews before it applies: the same refusal stops it before anything changes.
      const mainJob = await stack('local');
      expect(mainJob.status).toBe(3);
      expect(mainJob.output).toContain('refusing: protected resources would be destroyed or replaced; set ALLOW_DESTROY=1 to accept');
      const afterReview = mainJob.output.indexOf('**Plan review**');
      expect(afterReview).toBeGreaterThan(0);
      expect(mainJob.output.slice(afterReview)).not.toContain('Apply complete!');
      expect(await loadBalancers()).toEqual(before);
      const allowed = await workspace.stack('plan', { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'dev', ALLOW_DESTROY: '1' });
      expect(succeeded(allowed)).toEqual({ status: 0, tail: '' });
    } finally {
      writeFileSync(file, original);
    }
  }, 300_000);

  step('delete: nothing of the environment is left, and the state bucket keeps the state history', async () => {
    const run = await stack('delete');
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    expect(run.output).toMatch(/Destroy complete! Resources: \d+ destroyed/);
    expect(run.output).not.toContain('switching off deletion protection'); // dev has none

    const loadBalancers = await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}));
    const groups = await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({}));
    const vpcs = await client(EC2Client).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Project', Values: [project.project] }] }));
    const buckets = await client(S3Client).send(new ListBucketsCommand({}));
    const dashboards = await emulatorCloudWatch(moto.endpoint, project.region).send(new ListDashboardsCommand({}));
    expect({
      dashboards: dashboards.DashboardEntries ?? [],
      loadBalancers: loadBalancers.LoadBalancers ?? [],
      groups: groups.AutoScalingGroups ?? [],
      vpcs: vpcs.Vpcs ?? [],
      buckets: (buckets.Buckets ?? []).map((bucket) => bucket.Name),
    }).toEqual({ dashboards: [], loadBalancers: [], groups: [], vpcs: [], buckets: [project.stateBucketName] });

    const versions = await client(S3Client).send(new ListObjectVersionsCommand({ Bucket: project.stateBucketName, Prefix: STATE_KEY }));
    expect((versions.Versions ?? []).filter((version) => version.Key === STATE_KEY).length).toBeGreaterThanOrEqual(3);
  }, 900_000);
});
