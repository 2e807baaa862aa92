// Boot test: the rendered user data run for real by cloud-init in a Debian 13 root filesystem, with
// packages from the Debian archive and the release from the local AWS emulator's S3.
// What stands in for EC2 here, and only here: the NoCloud datasource seeds the user data; AWS
// credentials and the emulator's endpoint are in root's ~/.aws (an instance has its role); a
// drop-in points the workers' metadata lookups at a loopback IMDS; the `systemctl` package runs
// the units, since a chroot has no systemd as PID 1 (the unit itself is checked by systemd-analyze).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RELEASE_MANIFEST_FILE, RELEASE_OBJECT_KEY } from '../../constants.js';
import { renderUserData, type UserDataInput, workerUnit } from '../../provisioning/render-user-data.js';
import { startLoad } from '../../support/load.js';
import { FAKE_CREDENTIALS, type Moto, startMoto } from '../moto.js';
import { buildRelease, variantRelease } from '../../support/release-process.js';
import { freePort } from '../../support/apache-site.js';
import { Chroot, debianRootfsTarball } from './chroot.js';

const REGION = 'eu-west-1';
const BUCKET = 'webapp-boot-artifacts';
const INSTANCE_ID = 'i-0b00700000000c0de';
const SEED = '/var/lib/cloud/seed/nocloud';

let moto: Moto;
let imds: Server;
let machine: Chroot;
let s3: S3Client;
let input: UserDataInput;
let releaseDir: string;
const timings: Record<string, number> = {};
const url = (path: string) => `http://127.0.0.1:${input.apachePort}${path}`;

async function uploadRelease(archivePath: string) {
  const body = readFileSync(archivePath);
  const sha256 = createHash('sha256').update(body).digest('hex');
  // One key, as the stack does: each upload is a new version, and the install script fetches by version id.
  const key = RELEASE_OBJECT_KEY;
  const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return { key, sha256, versionId: VersionId! };
}

/** Writes a settings file inside the machine and runs the install script on it, as an operator would. */
function installRelease(settings: string) {
  writeFileSync(join(machine.root, 'etc/webapp/next-release.env'), settings);
  return machine.runAsync(['/usr/local/sbin/webapp-install-release', '/etc/webapp/next-release.env']);
}

/** What a chroot lacks that a real instance has (network tools, a block device, SSH): cloud-init may warn of these only. */
const CHROOT_ONLY_COMPLAINTS = /network|'ip'|\bip\b|ifconfig|netstat|filesystem type of \/|ssh_host/;

function releaseSettings(overrides: Record<string, string>): string {
  const current = readFileSync(join(machine.root, 'etc/webapp/release.env'), 'utf8');
  return current
    .split('\n')
    .map((line) => {
      const key = line.split('=')[0];
      return key in overrides ? `${key}=${overrides[key]}` : line;
    })
    .join('\n');
}

beforeAll(async () => {
  const tarball = debianRootfsTarball();
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, region: REGION, forcePathStyle: true, credentials: FAKE_CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));

  imds = createServer((req, res) => {
    const answers: Record<string, string> = {
      'PUT /latest/api/token': 'token',
      'GET /latest/meta-data/instance-id': INSTANCE_ID,
      'GET /latest/meta-data/placement/availability-zone': `${REGION}a`,
    };
    const answer = answers[`${req.method} ${req.url}`];
    res.statusCode = answer ? 200 : 404;
    res.end(answer);
  });
  await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));

  releaseDir = buildRelease();
  const release = await uploadRelease(`${releaseDir}.zip`);
  input = {
    region: REGION,
    bucketName: BUCKET,
    objectKey: release.key,
    objectVersionId: release.versionId,
    releaseId: JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8')).releaseId,
    archiveSha256: release.sha256,
    servicePorts: [await freePort(), await freePort()],
    apachePort: await freePort(),
    loadBalancerIdleTimeoutSeconds: 60,
    shutdownTimeoutSeconds: 10,
    trustedProxyCidr: '127.0.0.0/8',
    workerMemoryMaxMegabytes: 512,
  };

  machine = new Chroot(tarball);
  const files: Record<string, string> = {
    [`${SEED}/user-data`]: renderUserData(input),
    [`${SEED}/meta-data`]: `instance-id: ${INSTANCE_ID}\nlocal-hostname: boot-test\n`,
    '/etc/cloud/cloud.cfg.d/90-boot-test.cfg': 'datasource_list: [NoCloud]\n',
    '/root/.aws/config': `[default]\nregion = ${REGION}\nendpoint_url = ${moto.endpoint}\n`,
    '/root/.aws/credentials': `[default]\naws_access_key_id = ${FAKE_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${FAKE_CREDENTIALS.secretAccessKey}\n`,
    ...Object.fromEntries(
      input.servicePorts.map((port) => [`/etc/systemd/system/${workerUnit(port)}.d/90-boot-test.conf`, `[Service]\nEnvironment=IMDS_ENDPOINT=http://127.0.0.1:${(imds.address() as { port: number }).port}\n`]),
    ),
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(machine.root, path)), { recursive: true });
    writeFileSync(join(machine.root, path), content);
  }
}, 900_000);

afterAll(() => {
  machine?.destroy();
  moto?.stop();
  imds?.close();
  if (Object.keys(timings).length > 0) console.log(`boot test timings (ms): ${JSON.stringify(timings)}`);
});

describe('the rendered user data on Debian 13', () => {
  test("passes Debian 13's cloud-init schema check", () => {
    const run = machine.run(['cloud-init', 'schema', '--config-file', `${SEED}/user-data`]);
    expect({ status: run.status, output: run.stdout.trim() }).toEqual({ status: 0, output: expect.stringMatching(/Valid schema/) });
  });

  test('boots: cloud-init installs the packages, fetches and verifies the release, and Apache serves through to the service', async () => {
    // GIVEN a fresh machine WHEN cloud-init runs its boot stages
    const startedAt = Date.now();
    let firstHealthyAt = 0;
    const watcher = (async () => {
      while (!firstHealthyAt && Date.now() - startedAt < 600_000) {
        if (await fetch(url('/health')).then((res) => res.status === 200, () => false)) firstHealthyAt = Date.now();
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // (asynchronously, so that the watcher, and the loopback IMDS the workers ask, keep answering)
    const stages: Array<{ stage: string; status: number | null; stderr: string }> = [];
    for (const stage of [['init', '--local'], ['init'], ['modules', '--mode', 'config'], ['modules', '--mode', 'final']]) {
      const run = await machine.runAsync(['cloud-init', ...stage]);
      stages.push({ stage: stage.join(' '), status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(-2000) });
    }
    await watcher;
    timings.provisioningToHealthy = firstHealthyAt - startedAt;

    // THEN every stage succeeded and cloud-init reports no error
    expect(stages.map(({ stage, status, stderr }) => ({ stage, status, stderr }))).toEqual(stages.map(({ stage }) => ({ stage, status: 0, stderr: '' })));
    const status = JSON.parse(machine.run(['cloud-init', 'status', '--format', 'json']).stdout);
    expect(status.errors).toEqual([]);
    const complaints = ['init-local', 'init', 'modules-config', 'modules-final'].flatMap((stage) => Object.values(status[stage].recoverable_errors ?? {}).flat() as string[]);
    expect(complaints.filter((message) => !CHROOT_ONLY_COMPLAINTS.test(message))).toEqual([]);
    expect(readFileSync(join(machine.root, 'var/log/cloud-init-output.log'), 'utf8')).toContain(`release ${input.releaseId} is serving through Apache`);

    // AND the site answers through Apache
    expect(firstHealthyAt).toBeGreaterThan(0);
    expect(await (await fetch(url('/'))).text()).toContain('<h1>lorem ipsum</h1>');
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: input.releaseId, instanceId: INSTANCE_ID, availabilityZone: `${REGION}a` });
    const css = await fetch(url('/static/site.css'));
    expect({ status: css.status, cacheControl: css.headers.get('cache-control'), server: css.headers.get('server') }).toEqual({
      status: 200,
      cacheControl: 'public, max-age=31536000, immutable',
      server: 'Apache',
    });
    expect(readlinkSync(join(machine.root, 'opt/webapp/current'))).toBe(`releases/${input.releaseId}`);
  }, 900_000);

  test('refuses a release whose sha256 does not match, loudly, and the previous release keeps serving', async () => {
    const run = await installRelease(releaseSettings({ RELEASE_SHA256: '0'.repeat(64), RELEASE_ID: 'ffffffffffffffff' }));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`FAILED: sha256 mismatch for ${input.objectKey}: expected ${'0'.repeat(64)}, got ${input.archiveSha256}`);
    expect(readlinkSync(join(machine.root, 'opt/webapp/current'))).toBe(`releases/${input.releaseId}`);
    expect(await (await fetch(url('/version'))).json()).toMatchObject({ releaseId: input.releaseId });
  }, 120_000);

  test('switches to a new release without a failed request', async () => {
    // GIVEN a second release in the bucket and steady traffic through Apache, on /version, which
    // every request takes to a worker (Apache's cache answers most page requests itself)
    const next = variantRelease(releaseDir, 'second release');
    const upload = await uploadRelease(next.archivePath);
    const load = startLoad(url('/version'), 4, 120);

    // WHEN the install script runs with its settings
    const startedAt = Date.now();
    const run = await installRelease(releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: next.releaseId }));
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

  test('the worker unit passes systemd-analyze verify, with a low exposure score', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    const unit = workerUnit(input.servicePorts[0]);
    writeFileSync(join(dir, unit), readFileSync(join(machine.root, 'etc/systemd/system', unit)));
    mkdirSync(join(dir, `${unit}.d`));
    writeFileSync(join(dir, `${unit}.d`, 'worker.conf'), readFileSync(join(machine.root, 'etc/systemd/system', `${unit}.d`, 'worker.conf')));
    const env = { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` };
    const verify = spawnSync('systemd-analyze', ['verify', join(dir, unit)], { env, encoding: 'utf8' });
    expect({ status: verify.status, output: `${verify.stdout}${verify.stderr}` }).toEqual({ status: 0, output: '' });
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=40', join(dir, unit)], { env, encoding: 'utf8' });
    expect(security.status).toBe(0);
    expect(security.stdout).toMatch(/Overall exposure level for .*: [0-3]\.\d OK/);
  });
});
