// A Debian 13 machine booted for real from the rendered user data: a copy of a root filesystem
// built like Debian's EC2 image (scripts/debian-rootfs.sh), booted with systemd as PID 1 under
// systemd-nspawn, cloud-init through its own units, packages from the Debian archive, the release
// from the local AWS emulator's S3. Used by the boot test and the boot benchmark.
// What stands in for EC2 here, and only here: the NoCloud datasource seeds the user data; AWS
// credentials and the emulator's endpoint are in root's ~/.aws (an instance has its role); the
// install script reads the instance's id and zone, and webapp-lifecycle the target lifecycle state,
// from a loopback IMDS; Auto Scaling's CompleteLifecycleAction, which the emulator lacks, is answered
// and recorded by support/lifecycle-endpoint.ts; the root filesystem's own stand-ins are listed at the
// top of scripts/debian-rootfs.sh.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type HttpPlatformName, LAUNCH_LIFECYCLE_HOOK, NODE_RUNTIME, RELEASE_MANIFEST_FILE, RELEASE_OBJECT_KEY } from '../constants.js';
import { runtimeObjectKey } from '../constructs/node-runtime.js';
import { prepareRuntime } from '../release/node-runtime.js';
import { availableParallelism } from 'node:os';
import { parse, stringify } from 'yaml';
import { BOOT_APT_FILE, BOOT_MAN_DB_OFF, renderUserData, type UserDataInput } from '../provisioning/render-user-data.js';
import { freePort, freePortBases, readWorkerPorts } from './apache-site.js';
import { Container, debianRootfsTarball, type RunResult } from './nspawn.js';
import { FAKE_CREDENTIALS, type Moto, startMoto } from './moto.js';
import { type LifecycleEndpoint, lifecycleEndpoint } from './lifecycle-endpoint.js';
import { buildRelease } from './release-process.js';

export const BOOT_REGION = 'eu-west-1';
export const BOOT_INSTANCE_ID = 'i-0b00700000000c0de';
const BUCKET = 'webapp-boot-artifacts';
export const NOCLOUD_SEED = '/var/lib/cloud/seed/nocloud';

export interface UploadedRelease {
  readonly key: string;
  readonly sha256: string;
  readonly versionId: string;
}

export interface BootOutcome {
  /** What `cloud-init status --wait --long` ended with: `done`, or `error` with its errors. */
  readonly status: string;
  readonly errors: string[];
  /** cloud-init status's whole answer, for a failure message. */
  readonly detail: string;
  /** From systemd-nspawn's start (the machine's power-on) to the first 200 on /health through Apache; 0 if none came. */
  readonly bootToHealthyMs: number;
}

export interface BootMachine {
  readonly machine: Container;
  /** Every request the loopback metadata service answered, in order (`PUT /latest/api/token`, ...). */
  readonly metadataRequests: readonly string[];
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
  installRelease(settings: string): Promise<RunResult>;
  /** Powers the machine on and waits until cloud-init is done, watching /health through Apache meanwhile. */
  boot(): Promise<BootOutcome>;
  /** Powers the machine off through systemd, then on again: the time from power-on to the first 200 on /health through Apache. */
  powerCycle(): Promise<{ bootToHealthyMs: number; poweredOnAt: number }>;
  /** The emulator's S3 endpoint, which the machine's AWS CLI uses. */
  readonly awsEndpoint: string;
  /** The Auto Scaling endpoint the machine's CLI uses: the emulator, with CompleteLifecycleAction answered and recorded. */
  readonly lifecycle: LifecycleEndpoint;
  /** What the metadata service answers as the instance's target lifecycle state from now on. */
  setTargetLifecycleState(state: string): void;
  /** Points the machine's AWS CLI at another endpoint (a proxy in front of the emulator). */
  useAwsEndpoint(endpoint: string): void;
  /** The worker port sets webapp-configure-workers laid out at boot (one worker per CPU). */
  workerPorts(): { a: number[]; b: number[] };
  destroy(): void;
}

export interface BootOptions {
  /** The service's HTTP platform on the machine. @default express */
  readonly httpPlatform?: HttpPlatformName;
  /** Boots the user data without what it leaves out of Debian's image's boot (the benchmark's "before"). */
  readonly withoutBootTrims?: boolean;
  /** The CPUs the machine boots on (`0`, `0-1`; systemd-nspawn --cpu-affinity): what nproc counts there. @default - every CPU */
  readonly cpus?: string;
  /** The target lifecycle state the metadata service answers at first boot. @default InService (a launch straight into service) */
  readonly targetLifecycleState?: string;
}

/** The group the boot machine's launch hook belongs to. */
export const BOOT_GROUP = 'webapp-boot';

// Auto Scaling has its own endpoint (the CLI's service-specific endpoints); everything else goes to `endpoint`.
const awsConfig = (endpoint: string, autoScalingEndpoint: string) =>
  `[default]\nregion = ${BOOT_REGION}\nendpoint_url = ${endpoint}\nservices = boot\n\n[services boot]\nauto_scaling =\n  endpoint_url = ${autoScalingEndpoint}\n`;

/** How many CPUs a CPU list names (`0` -> 1, `0-1` -> 2), or this machine's when none. */
function cpuCount(cpus: string | undefined): number {
  if (!cpus) return availableParallelism();
  return cpus.split(',').reduce((sum, part) => {
    const [first, last] = part.split('-').map(Number);
    return sum + (last === undefined ? 1 : last - first + 1);
  }, 0);
}

/** The user data without the boot trims: the apt settings file and the man-db bootcmd, each checked to be there. */
function withoutBootTrims(userData: string): string {
  const document = parse(userData) as { bootcmd?: string[]; write_files: Array<{ path: string }> };
  const files = document.write_files.filter((entry) => entry.path !== BOOT_APT_FILE.path);
  if (files.length !== document.write_files.length - 1 || !document.bootcmd?.includes(BOOT_MAN_DB_OFF)) {
    throw new Error('the user data no longer has the boot trims this benchmark leaves out');
  }
  const bootcmd = document.bootcmd.filter((command) => command !== BOOT_MAN_DB_OFF);
  return `#cloud-config\n${stringify({ ...document, write_files: files, bootcmd: bootcmd.length > 0 ? bootcmd : undefined }, { lineWidth: 0, blockQuote: 'literal' })}`;
}

/** Builds the release, starts moto and a loopback IMDS, and unpacks a fresh machine seeded with the user data. */
export async function prepareBootMachine(options: BootOptions = {}): Promise<BootMachine> {
  const tarball = debianRootfsTarball();
  let moto: Moto | undefined;
  let imds: Server | undefined;
  let lifecycle: LifecycleEndpoint | undefined;
  let machine: Container | undefined;
  const destroy = () => {
    machine?.destroy();
    moto?.stop();
    imds?.close();
    lifecycle?.close();
  };
  try {
    moto = await startMoto();
    lifecycle = await lifecycleEndpoint(moto.endpoint);
    const s3 = new S3Client({ endpoint: moto.endpoint, region: BOOT_REGION, forcePathStyle: true, credentials: FAKE_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: BOOT_REGION } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    const upload = async (key: string, path: string): Promise<UploadedRelease> => {
      const body = readFileSync(path);
      const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      return { key, sha256: createHash('sha256').update(body).digest('hex'), versionId: VersionId! };
    };
    const uploadRelease = (archivePath: string) => upload(RELEASE_OBJECT_KEY, archivePath);

    const metadataRequests: string[] = [];
    let targetLifecycleState = options.targetLifecycleState ?? 'InService';
    imds = createServer((req, res) => {
      metadataRequests.push(`${req.method} ${req.url}`);
      const answers: Record<string, string> = {
        'PUT /latest/api/token': 'token',
        'GET /latest/meta-data/instance-id': BOOT_INSTANCE_ID,
        'GET /latest/meta-data/placement/availability-zone': `${BOOT_REGION}a`,
        'GET /latest/meta-data/autoscaling/target-lifecycle-state': targetLifecycleState,
      };
      const answer = answers[`${req.method} ${req.url}`];
      res.statusCode = answer ? 200 : 404;
      res.end(answer);
    });
    await new Promise<void>((resolve) => imds!.listen(0, '127.0.0.1', resolve));
    const imdsPort = (imds.address() as { port: number }).port;

    const releaseDir = buildRelease();
    const release = await uploadRelease(`${releaseDir}.zip`);
    // The machine is this one's architecture: x86_64.
    const runtime = await upload(runtimeObjectKey('x86_64'), prepareRuntime(join(import.meta.dirname, '..'), 'x86_64').archivePath);
    const input: UserDataInput = {
      region: BOOT_REGION,
      bucketName: BUCKET,
      objectKey: release.key,
      objectVersionId: release.versionId,
      releaseId: JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8')).releaseId,
      archiveSha256: release.sha256,
      runtime: { objectKey: runtime.key, objectVersionId: runtime.versionId, sha256: runtime.sha256, version: NODE_RUNTIME.version },
      portBases: await freePortBases(Math.max(2, cpuCount(options.cpus))),
      apachePort: await freePort(),
      balancerManagerPort: await freePort(),
      loadBalancerIdleTimeoutSeconds: 60,
      shutdownTimeoutSeconds: 10,
      trustedProxyCidrs: ['127.0.0.0/8'],
      workerMemoryMaxMegabytes: 512,
      httpPlatform: options.httpPlatform,
      metadataEndpoint: `http://127.0.0.1:${imdsPort}`,
      lifecycleHook: { groupName: BOOT_GROUP, hookName: LAUNCH_LIFECYCLE_HOOK },
    };

    machine = new Container(tarball);
    const root = machine.root;
    const files: Record<string, string> = {
      [`${NOCLOUD_SEED}/user-data`]: options.withoutBootTrims ? withoutBootTrims(renderUserData(input)) : renderUserData(input),
      [`${NOCLOUD_SEED}/meta-data`]: `instance-id: ${BOOT_INSTANCE_ID}\nlocal-hostname: boot-test\n`,
      '/etc/cloud/cloud.cfg.d/90-boot-test.cfg': 'datasource_list: [NoCloud]\n',
      '/root/.aws/config': awsConfig(moto.endpoint, lifecycle.endpoint),
      '/root/.aws/credentials': `[default]\naws_access_key_id = ${FAKE_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${FAKE_CREDENTIALS.secretAccessKey}\n`,
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }

    const booted = machine;
    const url = (path: string) => `http://127.0.0.1:${input.apachePort}${path}`;
    return {
      machine: booted,
      metadataRequests,
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
        booted.start({ cpus: options.cpus });
        let firstHealthyAt = 0;
        let stopWatching = false;
        // Asynchronously, so that this watcher, and the loopback IMDS the install script asks, keep answering.
        const watcher = (async () => {
          while (!firstHealthyAt && !stopWatching && Date.now() - startedAt < 600_000) {
            if (await fetch(url('/health')).then((res) => res.status === 200, () => false)) firstHealthyAt = Date.now();
            else await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();
        try {
          await booted.waitForInit();
          // cloud-init's own units run the stages in boot order; this only waits for them.
          const wait = await booted.runAsync(['cloud-init', 'status', '--wait', '--format', 'json']);
          const answer = JSON.parse(wait.stdout || '{}') as { status?: string; errors?: string[] };
          if (answer.status === 'done') await watcher;
          return { status: answer.status ?? `unknown (exit ${wait.status}: ${wait.stderr})`, errors: answer.errors ?? [], detail: wait.stdout, bootToHealthyMs: firstHealthyAt > 0 ? firstHealthyAt - startedAt : 0 };
        } finally {
          stopWatching = true;
          await watcher;
        }
      },
      powerCycle: async () => {
        await booted.powerOff();
        const startedAt = Date.now();
        booted.start({ cpus: options.cpus });
        while (Date.now() - startedAt < 300_000) {
          if (await fetch(url('/health')).then((res) => res.status === 200, () => false)) return { bootToHealthyMs: Date.now() - startedAt, poweredOnAt: startedAt };
          if (!booted.running) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`the machine did not answer /health after powering on again:\n${booted.console.slice(-3000)}`);
      },
      awsEndpoint: moto.endpoint,
      lifecycle,
      setTargetLifecycleState: (state) => {
        targetLifecycleState = state;
      },
      useAwsEndpoint: (endpoint) => writeFileSync(join(root, 'root/.aws/config'), awsConfig(endpoint, lifecycle!.endpoint)),
      workerPorts: () => readWorkerPorts(readFileSync(join(root, 'etc/webapp/workers.env'), 'utf8')),
      destroy,
    };
  } catch (error) {
    destroy();
    throw error;
  }
}
