// A Debian 13 machine booted for real from the rendered user data: cloud-init in a copy of the
// Debian 13 root filesystem, packages from the Debian archive, the release from the local AWS
// emulator's S3. Used by the boot test and the boot benchmark.
// What stands in for EC2 here, and only here: the NoCloud datasource seeds the user data; AWS
// credentials and the emulator's endpoint are in root's ~/.aws (an instance has its role); a
// worker drop-in points the workers' metadata lookups at a loopback IMDS; the `systemctl` package runs
// the units, since a chroot has no systemd as PID 1.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RELEASE_MANIFEST_FILE, RELEASE_OBJECT_KEY } from '../constants.js';
import { availableParallelism } from 'node:os';
import { renderUserData, type UserDataInput } from '../provisioning/render-user-data.js';
import { freePort, freePortBases, readWorkerPorts } from './apache-site.js';
import { Chroot, debianRootfsTarball } from './chroot.js';
import { FAKE_CREDENTIALS, type Moto, startMoto } from './moto.js';
import { buildRelease } from './release-process.js';

export const BOOT_REGION = 'eu-west-1';
export const BOOT_INSTANCE_ID = 'i-0b00700000000c0de';
const BUCKET = 'webapp-boot-artifacts';
export const NOCLOUD_SEED = '/var/lib/cloud/seed/nocloud';
const CLOUD_INIT_STAGES = [['init', '--local'], ['init'], ['modules', '--mode', 'config'], ['modules', '--mode', 'final']];

export interface UploadedRelease {
  readonly key: string;
  readonly sha256: string;
  readonly versionId: string;
}

export interface BootOutcome {
  readonly stages: Array<{ stage: string; status: number | null; stderr: string }>;
  /** From the first cloud-init stage to the first 200 on /health through Apache; 0 if none came. */
  readonly provisioningToHealthyMs: number;
}

export interface BootMachine {
  readonly machine: Chroot;
  readonly input: UserDataInput;
  /** The built release the machine boots with. */
  readonly releaseDir: string;
  /** `path` on the machine's Apache. */
  url(path: string): string;
  /** Puts an archive under the release key, as the stack does: each upload is a new S3 version. */
  uploadRelease(archivePath: string): Promise<UploadedRelease>;
  /** The machine's release settings with `overrides` (replaced, or added), as an operator would write them. */
  releaseSettings(overrides: Record<string, string>): string;
  /** Writes `settings` inside the machine and runs the install script on them. */
  installRelease(settings: string): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** Runs cloud-init's boot stages in order, watching /health through Apache meanwhile. */
  boot(): Promise<BootOutcome>;
  /** The emulator's S3 endpoint, which the machine's AWS CLI uses. */
  readonly awsEndpoint: string;
  /** Points the machine's AWS CLI at another endpoint (a proxy in front of the emulator). */
  useAwsEndpoint(endpoint: string): void;
  /** The worker port sets webapp-configure-workers laid out at boot (one worker per CPU). */
  workerPorts(): { a: number[]; b: number[] };
  destroy(): void;
}

export interface BootOptions {
  /** The CPUs the machine boots on, as taskset takes them (`0`, `0-1`): what nproc counts there. @default - every CPU */
  readonly cpus?: string;
}

const awsConfig = (endpoint: string) => `[default]\nregion = ${BOOT_REGION}\nendpoint_url = ${endpoint}\n`;

/** How many CPUs a taskset list names (`0` -> 1, `0-1` -> 2), or this machine's when none. */
function cpuCount(cpus: string | undefined): number {
  if (!cpus) return availableParallelism();
  return cpus.split(',').reduce((sum, part) => {
    const [first, last] = part.split('-').map(Number);
    return sum + (last === undefined ? 1 : last - first + 1);
  }, 0);
}

/** Builds the release, starts moto and a loopback IMDS, and unpacks a fresh machine seeded with the user data. */
export async function prepareBootMachine(options: BootOptions = {}): Promise<BootMachine> {
  const tarball = debianRootfsTarball();
  let moto: Moto | undefined;
  let imds: Server | undefined;
  let machine: Chroot | undefined;
  const destroy = () => {
    machine?.destroy();
    moto?.stop();
    imds?.close();
  };
  try {
    moto = await startMoto();
    const s3 = new S3Client({ endpoint: moto.endpoint, region: BOOT_REGION, forcePathStyle: true, credentials: FAKE_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: BOOT_REGION } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    const uploadRelease = async (archivePath: string): Promise<UploadedRelease> => {
      const body = readFileSync(archivePath);
      const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: RELEASE_OBJECT_KEY, Body: body }));
      return { key: RELEASE_OBJECT_KEY, sha256: createHash('sha256').update(body).digest('hex'), versionId: VersionId! };
    };

    imds = createServer((req, res) => {
      const answers: Record<string, string> = {
        'PUT /latest/api/token': 'token',
        'GET /latest/meta-data/instance-id': BOOT_INSTANCE_ID,
        'GET /latest/meta-data/placement/availability-zone': `${BOOT_REGION}a`,
      };
      const answer = answers[`${req.method} ${req.url}`];
      res.statusCode = answer ? 200 : 404;
      res.end(answer);
    });
    await new Promise<void>((resolve) => imds!.listen(0, '127.0.0.1', resolve));
    const imdsPort = (imds.address() as { port: number }).port;

    const releaseDir = buildRelease();
    const release = await uploadRelease(`${releaseDir}.zip`);
    const input: UserDataInput = {
      region: BOOT_REGION,
      bucketName: BUCKET,
      objectKey: release.key,
      objectVersionId: release.versionId,
      releaseId: JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8')).releaseId,
      archiveSha256: release.sha256,
      portBases: await freePortBases(Math.max(2, cpuCount(options.cpus))),
      apachePort: await freePort(),
      loadBalancerIdleTimeoutSeconds: 60,
      shutdownTimeoutSeconds: 10,
      trustedProxyCidrs: ['127.0.0.0/8'],
      workerMemoryMaxMegabytes: 512,
    };

    machine = new Chroot(tarball);
    const root = machine.root;
    const files: Record<string, string> = {
      [`${NOCLOUD_SEED}/user-data`]: renderUserData(input),
      [`${NOCLOUD_SEED}/meta-data`]: `instance-id: ${BOOT_INSTANCE_ID}\nlocal-hostname: boot-test\n`,
      '/etc/cloud/cloud.cfg.d/90-boot-test.cfg': 'datasource_list: [NoCloud]\n',
      // As Debian's EC2 image ships it (unattended upgrades on), so the boot test sees the patch policy win.
      '/etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
      '/root/.aws/config': awsConfig(moto.endpoint),
      '/root/.aws/credentials': `[default]\naws_access_key_id = ${FAKE_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${FAKE_CREDENTIALS.secretAccessKey}\n`,
      // Site-wide worker settings: webapp-configure-workers copies them into each worker's drop-ins.
      '/etc/webapp/worker.conf.d/90-boot-test.conf': `[Service]\nEnvironment=IMDS_ENDPOINT=http://127.0.0.1:${imdsPort}\n`,
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }

    const booted = machine;
    const url = (path: string) => `http://127.0.0.1:${input.apachePort}${path}`;
    return {
      machine: booted,
      input,
      releaseDir,
      url,
      uploadRelease,
      releaseSettings: (overrides) => {
        const lines = readFileSync(join(root, 'etc/webapp/release.env'), 'utf8').trimEnd().split('\n');
        const keys = new Set(lines.map((line) => line.split('=')[0]));
        const replaced = lines.map((line) => {
          const key = line.split('=')[0];
          return key in overrides ? `${key}=${overrides[key]}` : line;
        });
        const added = Object.entries(overrides).filter(([key]) => !keys.has(key)).map(([key, value]) => `${key}=${value}`);
        return `${[...replaced, ...added].join('\n')}\n`;
      },
      installRelease: (settings) => {
        writeFileSync(join(root, 'etc/webapp/next-release.env'), settings);
        return booted.runAsync(['/usr/local/sbin/webapp-install-release', '/etc/webapp/next-release.env']);
      },
      boot: async () => {
        const startedAt = Date.now();
        let firstHealthyAt = 0;
        let stopWatching = false;
        // Asynchronously, so that this watcher, and the loopback IMDS the workers ask, keep answering.
        const watcher = (async () => {
          while (!firstHealthyAt && !stopWatching && Date.now() - startedAt < 600_000) {
            if (await fetch(url('/health')).then((res) => res.status === 200, () => false)) firstHealthyAt = Date.now();
            else await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();
        const stages: BootOutcome['stages'] = [];
        for (const stage of CLOUD_INIT_STAGES) {
          const run = await booted.runAsync([...(options.cpus ? ['taskset', '-c', options.cpus] : []), 'cloud-init', ...stage]);
          stages.push({ stage: stage.join(' '), status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(-2000) });
          if (run.status !== 0) break;
        }
        if (stages.every((stage) => stage.status === 0)) await watcher;
        else stopWatching = true;
        return { stages, provisioningToHealthyMs: firstHealthyAt > 0 ? firstHealthyAt - startedAt : 0 };
      },
      awsEndpoint: moto.endpoint,
      useAwsEndpoint: (endpoint) => writeFileSync(join(root, 'root/.aws/config'), awsConfig(endpoint)),
      workerPorts: () => readWorkerPorts(readFileSync(join(root, 'etc/webapp/workers.env'), 'utf8')),
      destroy,
    };
  } catch (error) {
    destroy();
    throw error;
  }
}
