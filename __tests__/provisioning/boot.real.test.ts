// Boot test: the rendered user data run for real by cloud-init in a Debian 13 root filesystem, with
// packages from the Debian archive and the release from the local AWS emulator's S3
// (support/boot-boot.machine.ts says what stands in for EC2). The unit itself is checked by systemd-analyze.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { workerUnit } from '../../provisioning/render-user-data.js';
import { BOOT_INSTANCE_ID, BOOT_REGION, type BootMachine, NOCLOUD_SEED, prepareBootMachine } from '../../support/boot-machine.js';
import { startLoad } from '../../support/load.js';
import { refusingProxy } from '../../support/refusing-proxy.js';
import { variantRelease } from '../../support/release-process.js';

/** What a chroot lacks that a real instance has (network tools, a block device, SSH): cloud-init may warn of these only. */
const CHROOT_ONLY_COMPLAINTS = /network|'ip'|\bip\b|ifconfig|netstat|filesystem type of \/|ssh_host/;

let boot: BootMachine;
const timings: Record<string, number> = {};
const url = (path: string) => boot.url(path);

beforeAll(async () => {
  boot = await prepareBootMachine();
}, 900_000);

afterAll(() => {
  boot?.destroy();
  if (Object.keys(timings).length > 0) console.log(`boot test timings (ms): ${JSON.stringify(timings)}`);
});

describe('the rendered user data on Debian 13', () => {
  test("passes Debian 13's cloud-init schema check", () => {
    const run = boot.machine.run(['cloud-init', 'schema', '--config-file', `${NOCLOUD_SEED}/user-data`]);
    expect({ status: run.status, output: run.stdout.trim() }).toEqual({ status: 0, output: expect.stringMatching(/Valid schema/) });
  });

  test('boots: cloud-init installs the packages, fetches and verifies the release, and Apache serves through to the service', async () => {
    // GIVEN a fresh machine WHEN cloud-init runs its boot stages
    const { stages, provisioningToHealthyMs } = await boot.boot();
    timings.provisioningToHealthy = provisioningToHealthyMs;

    // THEN every stage succeeded and cloud-init reports no error
    expect(stages.map(({ stage, status, stderr }) => ({ stage, status, stderr }))).toEqual(stages.map(({ stage }) => ({ stage, status: 0, stderr: '' })));
    const status = JSON.parse(boot.machine.run(['cloud-init', 'status', '--format', 'json']).stdout);
    expect(status.errors).toEqual([]);
    const complaints = ['init-local', 'init', 'modules-config', 'modules-final'].flatMap((stage) => Object.values(status[stage].recoverable_errors ?? {}).flat() as string[]);
    expect(complaints.filter((message) => !CHROOT_ONLY_COMPLAINTS.test(message))).toEqual([]);
    expect(readFileSync(join(boot.machine.root, 'var/log/cloud-init-output.log'), 'utf8')).toContain(`release ${boot.input.releaseId} is serving through Apache`);

    // AND the site answers through Apache
    expect(provisioningToHealthyMs).toBeGreaterThan(0);
    expect(await (await fetch(url('/'))).text()).toContain('<h1>lorem ipsum</h1>');
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: boot.input.releaseId, instanceId: BOOT_INSTANCE_ID, availabilityZone: `${BOOT_REGION}a` });
    const css = await fetch(url('/static/site.css'));
    expect({ status: css.status, cacheControl: css.headers.get('cache-control'), server: css.headers.get('server') }).toEqual({
      status: 200,
      cacheControl: 'public, max-age=31536000, immutable',
      server: 'Apache',
    });
    expect(readlinkSync(join(boot.machine.root, 'opt/webapp/current'))).toBe(`releases/${boot.input.releaseId}`);

    // AND one worker per CPU the machine booted on, each a member of Apache's balancer
    const ports = boot.workerPorts();
    expect(ports.a).toHaveLength(availableParallelism());
    expect(readFileSync(join(boot.machine.root, 'etc/webapp/apache-members.conf'), 'utf8').match(/BalancerMember/g)).toHaveLength(ports.a.length);
  }, 900_000);

  test("the patch policy is in force: apt's periodic jobs and unattended upgrades off despite the image's own setting, packages upgraded at boot", () => {
    // The machine starts with Debian's EC2 image's 20auto-upgrades (unattended upgrades on).
    const periodic = boot.machine.run(['apt-config', 'dump', 'APT::Periodic']);
    expect(periodic.status).toBe(0);
    for (const setting of ['APT::Periodic::Enable "0";', 'APT::Periodic::Update-Package-Lists "0";', 'APT::Periodic::Unattended-Upgrade "0";']) {
      expect(periodic.stdout.split('\n')).toContain(setting);
    }
    // apt's daily job, which the image's timers run, does nothing with it.
    const daily = boot.machine.run(['sh', '-x', '/usr/lib/apt/apt.systemd.daily', 'update']);
    expect({ status: daily.status, acted: /apt-get|unattended-upgrade/.test(daily.stderr) }).toEqual({ status: 0, acted: false });
    expect(readFileSync(join(boot.machine.root, 'var/log/cloud-init.log'), 'utf8')).toMatch(/apt-get.*dist-upgrade/);
  });

  test('refuses a release whose sha256 does not match, loudly, and the previous release keeps serving', async () => {
    const run = await boot.installRelease(boot.releaseSettings({ RELEASE_SHA256: '0'.repeat(64), RELEASE_ID: 'ffffffffffffffff' }));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`FAILED: sha256 mismatch for ${boot.input.objectKey}: expected ${'0'.repeat(64)}, got ${boot.input.archiveSha256}`);
    expect(readlinkSync(join(boot.machine.root, 'opt/webapp/current'))).toBe(`releases/${boot.input.releaseId}`);
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: boot.input.releaseId });
  }, 120_000);

  test('retries a fetch refused as IAM refuses a policy it has not caught up with, and installs the release', async () => {
    // GIVEN S3 that answers AccessDenied to the first two reads of the release (which the CLI does not retry)
    const next = variantRelease(boot.releaseDir, 'fetched on the third try');
    const upload = await boot.uploadRelease(next.archivePath);
    const proxy = await refusingProxy(boot.awsEndpoint, upload.key.split('/')[1], 2);
    boot.useAwsEndpoint(proxy.endpoint);
    try {
      // WHEN the install script runs (first retry after 1 s)
      const run = await boot.installRelease(
        boot.releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: next.releaseId, FETCH_FIRST_DELAY_SECONDS: '1' }),
      );
      // THEN it said why each try failed, waited longer each time, and the third try installed it
      expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stderr).toMatch(/fetch attempt 1 failed \(.*AccessDenied.*\); trying again in 1s/);
      expect(run.stderr).toMatch(/fetch attempt 2 failed \(.*AccessDenied.*\); trying again in 2s/);
      expect(run.stderr).not.toMatch(/fetch attempt 3 failed/);
      expect(proxy.refused()).toBe(2);
      expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: next.releaseId });
    } finally {
      boot.useAwsEndpoint(boot.awsEndpoint);
      proxy.close();
    }
  }, 300_000);

  test('gives up on a release it may never read, after its bounded tries, and the previous release keeps serving', async () => {
    const serving = ((await (await fetch(url('/version'))).json()) as { releaseId: string }).releaseId;
    const proxy = await refusingProxy(boot.awsEndpoint, boot.input.objectKey.split('/')[1], 100);
    boot.useAwsEndpoint(proxy.endpoint);
    try {
      const run = await boot.installRelease(boot.releaseSettings({ RELEASE_ID: 'eeeeeeeeeeeeeeee', FETCH_ATTEMPTS: '3', FETCH_FIRST_DELAY_SECONDS: '1' }));
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/FAILED: could not download s3:\/\/\S+ after 3 attempts: .*AccessDenied/);
      expect(proxy.refused()).toBe(3);
      expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: serving });
    } finally {
      boot.useAwsEndpoint(boot.awsEndpoint);
      proxy.close();
    }
  }, 300_000);

  test('switches to a new release without a failed request', async () => {
    // GIVEN a second release in the bucket and steady traffic through Apache, on /version, which
    // every request takes to a worker (Apache's cache answers most page requests itself)
    const next = variantRelease(boot.releaseDir, 'second release');
    const upload = await boot.uploadRelease(next.archivePath);
    const load = startLoad(url('/version'), 4, 120);

    // WHEN the install script runs with its settings
    const startedAt = Date.now();
    const run = await boot.installRelease(boot.releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: next.releaseId }));
    timings.releaseSwitch = Date.now() - startedAt;
    const traffic = await load.stop();

    // THEN it serves the new release, and nothing failed meanwhile
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: next.releaseId });
    // AND the page Apache keeps in memory is the new release's within a second (s-maxage=1), no flush
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await (await fetch(url('/'))).text()).toContain(`site.css?v=${next.releaseId}`);
    expect(traffic.requests).toBeGreaterThan(50);
    expect({ failed: traffic.failed, non2xx: traffic.non2xx }).toEqual({ failed: 0, non2xx: 0 });
    timings.releaseSwitchRequests = traffic.requests;
  }, 300_000);

  test('rolls back a release whose workers never turn healthy: the previous release, its workers and Apache keep serving', async () => {
    // GIVEN a release whose entry point exits at once, and steady traffic through Apache
    const serving = ((await (await fetch(url('/version'))).json()) as { releaseId: string }).releaseId;
    const members = readFileSync(join(boot.machine.root, 'etc/webapp/apache-members.conf'), 'utf8');
    const broken = variantRelease(boot.releaseDir, 'broken release', { broken: true });
    const upload = await boot.uploadRelease(broken.archivePath);
    const load = startLoad(url('/version'), 4, 60);

    // WHEN the install script runs it (giving up on health after 5 s)
    const run = await boot.installRelease(
      boot.releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: broken.releaseId, HEALTH_TIMEOUT_SECONDS: '5' }),
    );
    const traffic = await load.stop();

    // THEN it fails loudly, `current` and Apache's members are as before, and no request failed
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`FAILED: release ${broken.releaseId} did not become healthy on ports [\\d ]+; still serving releases/${serving}`));
    expect(readlinkSync(join(boot.machine.root, 'opt/webapp/current'))).toBe(`releases/${serving}`);
    expect(readFileSync(join(boot.machine.root, 'etc/webapp/apache-members.conf'), 'utf8')).toBe(members);
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: serving });
    expect(traffic.requests).toBeGreaterThan(50);
    expect({ failed: traffic.failed, non2xx: traffic.non2xx }).toEqual({ failed: 0, non2xx: 0 });
  }, 120_000);

  test('the worker unit passes systemd-analyze verify, with a low exposure score', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    const unit = workerUnit(boot.workerPorts().a[0]);
    writeFileSync(join(dir, unit), readFileSync(join(boot.machine.root, 'etc/systemd/system', unit)));
    mkdirSync(join(dir, `${unit}.d`));
    writeFileSync(join(dir, `${unit}.d`, 'worker.conf'), readFileSync(join(boot.machine.root, 'etc/systemd/system', `${unit}.d`, 'worker.conf')));
    const env = { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` };
    const verify = spawnSync('systemd-analyze', ['verify', join(dir, unit)], { env, encoding: 'utf8' });
    expect({ status: verify.status, output: `${verify.stdout}${verify.stderr}` }).toEqual({ status: 0, output: '' });
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=40', join(dir, unit)], { env, encoding: 'utf8' });
    expect(security.status).toBe(0);
    expect(security.stdout).toMatch(/Overall exposure level for .*: [0-3]\.\d OK/);
  });
});

describe('the same user data on a machine with one vCPU', () => {
  let small: BootMachine;
  beforeAll(async () => {
    small = await prepareBootMachine({ cpus: '0' });
  }, 900_000);
  afterAll(() => small?.destroy());

  test('boots one worker, and a release switch on it loses no request', async () => {
    // GIVEN cloud-init on one CPU (what nproc counts there)
    const { stages } = await small.boot();
    expect(stages.map(({ stage, status, stderr }) => ({ stage, status, stderr }))).toEqual(stages.map(({ stage }) => ({ stage, status: 0, stderr: '' })));
    // THEN one worker on each port set, one balancer member, and the site serves
    const ports = small.workerPorts();
    expect([ports.a.length, ports.b.length]).toEqual([1, 1]);
    expect(readFileSync(join(small.machine.root, 'etc/webapp/apache-members.conf'), 'utf8').match(/BalancerMember/g)).toHaveLength(1);
    expect(await (await fetch(small.url('/version'))).json()).toMatchObject({ releaseId: small.input.releaseId });

    // WHEN a new release is switched in under steady traffic
    const membersFile = join(small.machine.root, 'etc/webapp/apache-members.conf');
    const servingPort = Number(/127\.0\.0\.1:(\d+)"/.exec(readFileSync(membersFile, 'utf8'))![1]);
    const next = variantRelease(small.releaseDir, 'second release, one worker');
    const upload = await small.uploadRelease(next.archivePath);
    const load = startLoad(small.url('/version'), 4, 120);
    const run = await small.installRelease(small.releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: next.releaseId }));
    const traffic = await load.stop();

    // THEN it serves the new release from the other set, and nothing failed meanwhile
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await (await fetch(small.url('/version'))).json()).toMatchObject({ releaseId: next.releaseId });
    const otherSet = servingPort === ports.a[0] ? ports.b : ports.a;
    expect(readFileSync(membersFile, 'utf8')).toContain(`127.0.0.1:${otherSet[0]}"`);
    expect(traffic.requests).toBeGreaterThan(50);
    expect({ failed: traffic.failed, non2xx: traffic.non2xx }).toEqual({ failed: 0, non2xx: 0 });
  }, 900_000);
});
