import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RELEASE_MANIFEST_FILE } from '../constants.js';
import { APACHE_MODULES, MAX_WORKERS, renderProvisioningFiles, type UserDataInput, WEBAPP_ROOT } from '../provisioning/render-user-data.js';
import { type RunningRelease, startRelease } from './release-process.js';

/** Modules Debian's apache2 package enables by default (mpm_event, authz, mime, dir), and the site's own list. */
const PAGE_CACHE_LINE = 'CacheEnable socache /';

/** Workers the Apache tests run, as on a 2-vCPU instance. */
const SITE_WORKERS = 2;

const BASE_MODULES = [...new Set(['mpm_event', 'authz_core', 'authz_host', 'mime', 'dir', ...APACHE_MODULES])];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Whether nothing listens on `port` of the loopback address. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    server.on('error', () => resolve(false));
  });
}

/**
 * Bases for the two worker port sets, as far apart as an instance's, whose first `count` ports are
 * free now: what webapp-configure-workers lays out from them is then free to listen on.
 */
export async function freePortBases(count: number): Promise<{ a: number; b: number }> {
  // Below the kernel's ephemeral range (32768 and up by default): an outgoing connection (apt, the
  // AWS CLI, Apache to a worker) can take any port there between this check and a worker's start.
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const highest = Math.min(ephemeralStart, 32_768) - 2 * MAX_WORKERS;
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = 10_000 + Math.floor(Math.random() * (highest - 10_000));
    const b = a + MAX_WORKERS;
    const ports = Array.from({ length: count }, (_, index) => [a + index, b + index]).flat();
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return { a, b };
  }
  throw new Error(`found no two free runs of ${count} loopback ports`);
}

/** The port sets webapp-configure-workers wrote into `workers.env`. */
export function readWorkerPorts(workersEnv: string): { a: number[]; b: number[] } {
  const set = (name: string) => (new RegExp(`^${name}="([^"]*)"$`, 'm').exec(workersEnv)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
  return { a: set('SERVICE_PORTS_A'), b: set('SERVICE_PORTS_B') };
}

/** Fails loudly when Apache is missing: the tests never skip. */
export function requireApache(): void {
  const version = spawnSync('apache2', ['-v'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('apache2 is not installed; .ci/run installs it (apt-get install apache2)');
}

/**
 * The top of a self-contained Apache configuration under `base`: Debian's modules from
 * /etc/apache2, its own pid file and error log, children as www-data, mpm_event and mime settings.
 */
export function apacheBaseConfig(base: string, logDir: string, modules: readonly string[]): string[] {
  return [
    'ServerRoot /etc/apache2',
    `DefaultRuntimeDir ${base}`,
    `PidFile ${base}/apache2.pid`,
    `ErrorLog ${logDir}/error.log`,
    'LogLevel warn',
    'User www-data',
    'Group www-data',
    ...modules.map((module) => `Include /etc/apache2/mods-available/${module}.load`),
    'Include /etc/apache2/mods-available/mpm_event.conf',
    'Include /etc/apache2/mods-available/mime.conf',
  ];
}

export interface ApacheSite {
  readonly root: string;
  readonly configPath: string;
  readonly apachePort: number;
  /** The ports Apache's balancer points at; the test harness runs a worker on each. */
  readonly servicePorts: number[];
  readonly files: Map<string, string>;
  readonly serviceEnv: NodeJS.ProcessEnv;
}

/**
 * Lays out what cloud-init would on an instance, under a temporary directory: the rendered files,
 * <root>/releases/<id> and the `current` symlink, and a top-level Apache configuration that loads
 * Debian's module files and the rendered ports, backend and site files.
 */
export interface SiteOptions {
  readonly trustedProxyCidrs?: readonly string[];
  /** Worker settings on top of the rendered service.env, e.g. ACCESS_LOG=true for a test that reads what reached a worker. */
  readonly serviceEnv?: NodeJS.ProcessEnv;
  /** Leaves Apache's page cache out (the benchmark measures what it adds). */
  readonly withoutPageCache?: boolean;
}

export async function layOutSite(releaseDir: string, options: SiteOptions = {}): Promise<ApacheSite> {
  const base = mkdtempSync(join(tmpdir(), 'apache-site-'));
  chmodSync(base, 0o755); // Apache's children run as www-data
  const root = join(base, 'webapp');
  const releaseId = JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8')).releaseId as string;
  cpSync(releaseDir, join(root, 'releases', releaseId), { recursive: true });
  symlinkSync(`releases/${releaseId}`, join(root, 'current'));

  const apachePort = await freePort();
  const input: UserDataInput = {
    region: 'eu-west-1',
    bucketName: 'unused',
    objectKey: 'unused',
    objectVersionId: 'unused',
    releaseId,
    archiveSha256: 'unused',
    runtime: { objectKey: 'unused', objectVersionId: 'unused', sha256: 'unused', version: 'unused' },
    portBases: await freePortBases(SITE_WORKERS),
    apachePort,
    balancerManagerPort: await freePort(),
    loadBalancerIdleTimeoutSeconds: 60,
    shutdownTimeoutSeconds: 10,
    trustedProxyCidrs: options.trustedProxyCidrs ?? ['127.0.0.0/8'],
    workerMemoryMaxMegabytes: 512,
  };
  const files = new Map<string, string>();
  for (const { path, content } of renderProvisioningFiles(input)) {
    // The changes for a temporary layout: the webapp root, and /etc/webapp (Apache includes the balancer members from there).
    let localized = content.replaceAll(WEBAPP_ROOT, root).replaceAll('/etc/webapp/', `${join(base, 'etc', 'webapp')}/`);
    if (options.withoutPageCache && path.endsWith('/webapp.conf')) {
      if (!localized.includes(PAGE_CACHE_LINE)) throw new Error(`${path} no longer has "${PAGE_CACHE_LINE}"`);
      localized = localized.replace(PAGE_CACHE_LINE, `# ${PAGE_CACHE_LINE} (left out for the benchmark)`);
    }
    files.set(path, localized);
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), localized);
  }
  // What cloud-init runs at boot: the real configure script lays out the workers' ports and Apache's members.
  const etc = join(base, 'etc', 'webapp');
  const configure = spawnSync('sh', [join(base, 'usr/local/sbin/webapp-configure-workers'), join(etc, 'release.env')], {
    env: { ...process.env, WORKERS: String(SITE_WORKERS), WEBAPP_ETC: etc, SYSTEMD_UNIT_DIR: join(base, 'etc', 'systemd', 'system') },
    encoding: 'utf8',
  });
  if (configure.status !== 0) throw new Error(`webapp-configure-workers failed: ${configure.stderr}`);
  const servicePorts = readWorkerPorts(readFileSync(join(etc, 'workers.env'), 'utf8')).a;
  const logDir = join(base, 'log');
  mkdirSync(logDir);
  const configPath = join(base, 'apache2.conf');
  writeFileSync(
    configPath,
    [
      ...apacheBaseConfig(base, logDir, BASE_MODULES),
      'Include /etc/apache2/mods-available/dir.conf',
      `Include ${base}/etc/apache2/ports.conf`,
      `Include ${base}/etc/apache2/conf-available/webapp-backend.conf`,
      `Include ${base}/etc/apache2/sites-available/webapp.conf`,
      '',
    ].join('\n'),
  );
  const serviceEnv = Object.fromEntries(
    files
      .get('/etc/webapp/service.env')!
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return { root, configPath, apachePort, servicePorts, files, serviceEnv: { ...serviceEnv, IMDS_ENABLED: 'false', ...options.serviceEnv } };
}

export function apacheEnv(site: ApacheSite): NodeJS.ProcessEnv {
  return { ...process.env, APACHE_LOG_DIR: join(dirname(site.configPath), 'log'), APACHE_RUN_DIR: dirname(site.configPath) };
}

/** `apache2ctl -t` on the laid-out configuration. */
export function checkApacheConfig(site: ApacheSite): { status: number | null; output: string } {
  const run = spawnSync('apache2ctl', ['-f', site.configPath, '-t'], { env: apacheEnv(site), encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Stops Apache and its children (SIGKILL to the parent alone would orphan them). */
export function stopApache(apache: ChildProcess | undefined): Promise<void> {
  if (!apache || apache.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => apache.once('exit', () => resolve()));
  apache.kill('SIGTERM');
  return exited;
}

export async function startApache(site: ApacheSite): Promise<ChildProcess> {
  const apache = spawn('apache2', ['-f', site.configPath, '-DFOREGROUND'], { env: apacheEnv(site), stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  apache.stderr.on('data', (chunk) => (output += chunk));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (apache.exitCode !== null) throw new Error(`apache2 exited with ${apache.exitCode}: ${output}`);
    const listening = await fetch(`http://127.0.0.1:${site.apachePort}/static/site.css`).then(
      () => true,
      () => false,
    );
    if (listening) return apache;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`apache2 did not listen on ${site.apachePort}: ${output}`);
}

/** Starts a worker the way the unit does: node on current/server.mjs, the service.env settings, PORT. */
export function startWorker(site: ApacheSite, port: number): Promise<RunningRelease> {
  return startRelease(join(site.root, 'current'), { ...site.serviceEnv, PORT: String(port) });
}

export interface RunningSite {
  readonly site: ApacheSite;
  readonly apache: ChildProcess;
  /** One per worker port; tests that restart a worker replace its entry. */
  readonly workers: RunningRelease[];
  /** `path` on Apache's port. */
  url(path: string): string;
  /** Stops Apache (SIGTERM, so its children go too) and kills the workers. */
  stop(): Promise<void>;
}

/** Lays out `releaseDir` as an instance would, starts a worker per port and Apache in front. */
export async function startSite(releaseDir: string, options: SiteOptions = {}): Promise<RunningSite> {
  requireApache();
  const site = await layOutSite(releaseDir, options);
  const workers: RunningRelease[] = [];
  for (const port of site.servicePorts) workers.push(await startWorker(site, port));
  const apache = await startApache(site);
  return {
    site,
    apache,
    workers,
    url: (path) => `http://127.0.0.1:${site.apachePort}${path}`,
    stop: async () => {
      await stopApache(apache);
      for (const worker of workers) worker.child.kill('SIGKILL');
    },
  };
}
