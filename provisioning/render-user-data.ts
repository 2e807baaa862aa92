import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { APACHE_HEALTH_CHECK_INTERVAL_SECONDS, DRAIN_DELAY_MS, HEALTH_PATH, HTTP_PLATFORMS, type HttpPlatformName, RELEASE_ENTRY_FILE, SERVICE_KEEP_ALIVE_TIMEOUT_MS, VERSION_PATH } from '../constants.js';

/** Everything an instance needs to know at boot; rendered into cloud-init user data. */
export interface UserDataInput {
  readonly region: string;
  readonly bucketName: string;
  readonly objectKey: string;
  /** S3 version of the release object: a rolled-back launch template fetches its own release. */
  readonly objectVersionId: string;
  readonly releaseId: string;
  /** sha256 (hex) the downloaded archive must have. */
  readonly archiveSha256: string;
  /**
   * The Node.js runtime the service runs on (NODE_RUNTIME, shipped as its own object beside the
   * release): fetched by version id, verified by sha256, and refused unless its binary reports `version`.
   */
  readonly runtime: { readonly objectKey: string; readonly objectVersionId: string; readonly sha256: string; readonly version: string };
  /**
   * First ports of the two worker port sets. At boot, one worker per vCPU runs on consecutive ports
   * from one base; a release switch starts the next release on the other set while the current
   * workers serve, moves Apache's balancer over, then stops the old ones. The two sets alternate.
   */
  readonly portBases: { readonly a: number; readonly b: number };
  /** Workers per instance instead of one per vCPU (tests, or a service that wants fewer). @default - one per vCPU */
  readonly workers?: number;
  readonly apachePort: number;
  /**
   * Loopback-only port of Apache's balancer manager, through which the install script moves the
   * balancer between the port sets without a reload. A privileged port: no worker can take it.
   */
  readonly balancerManagerPort: number;
  /** The load balancer's idle timeout; Apache keeps client connections a little longer. */
  readonly loadBalancerIdleTimeoutSeconds: number;
  /** The service's graceful shutdown bound; systemd waits a little longer before killing. */
  readonly shutdownTimeoutSeconds: number;
  /**
   * Where the load balancer's addresses come from (its subnets' ranges, whichever of the VPC's CIDR
   * blocks they are in): the only sources of X-Forwarded-For that Apache believes.
   */
  readonly trustedProxyCidrs: readonly string[];
  /** Memory limit of each worker. */
  readonly workerMemoryMaxMegabytes: number;
  /** The service's HTTP platform. @default the first of HTTP_PLATFORMS (Express) */
  readonly httpPlatform?: HttpPlatformName;
  /**
   * Where the install script (as root) reads the instance's id and zone for /version; the workers
   * themselves may not reach it. @default EC2's metadata service (the boot test names a stand-in)
   */
  readonly metadataEndpoint?: string;
  /**
   * The group's launch lifecycle hook, which holds each new instance (and each one leaving the warm
   * pool) until webapp-lifecycle completes it once the site answers. @default - no hook to complete
   */
  readonly lifecycleHook?: { readonly groupName: string; readonly hookName: string };
}

/** Where the instance's settings and templates live. */
const WEBAPP_ETC = '/etc/webapp';
/** The install script's and the boot scripts' settings (rendered below), and the workers' environment. */
export const RELEASE_SETTINGS_FILE = `${WEBAPP_ETC}/release.env`;
export const SERVICE_SETTINGS_FILE = `${WEBAPP_ETC}/service.env`;
/** The instance's id and zone, written by the install script, read by the workers' unit. */
export const INSTANCE_ENV_FILE = `${WEBAPP_ETC}/instance.env`;
/** The two port sets webapp-configure-workers lays out at boot, for the install script. */
export const WORKERS_FILE = `${WEBAPP_ETC}/workers.env`;
/** The worker unit, its drop-in and Apache's member line as templates (@PORT@ filled in per port at boot). */
const UNIT_TEMPLATE_FILE = `${WEBAPP_ETC}/webapp.service.in`;
const DROPIN_TEMPLATE_FILE = `${WEBAPP_ETC}/worker.conf.in`;
const MEMBER_TEMPLATE_FILE = `${WEBAPP_ETC}/apache-member.conf.in`;
/** Site-wide drop-ins every worker unit gets a copy of (none by default). */
const DROPIN_EXTRAS_DIR = `${WEBAPP_ETC}/worker.conf.d`;
/** The workers' units are this prefix and the port: webapp-3000.service. */
const WORKER_UNIT_PREFIX = 'webapp-';

/** Where the release lives on an instance: releases/<id>/ and the `current` symlink. */
export const WEBAPP_ROOT = '/opt/webapp';
/** Apache keeps pooled backend connections for less than Node's keep-alive timeout. */
export const BACKEND_CONNECTION_TTL_SECONDS = SERVICE_KEEP_ALIVE_TIMEOUT_MS / 1000 - 15;
/** Apache modules the site uses. */
export const APACHE_MODULES = ['proxy', 'proxy_http', 'proxy_balancer', 'lbmethod_byrequests', 'lbmethod_bybusyness', 'slotmem_shm', 'proxy_hcheck', 'headers', 'remoteip', 'reqtimeout', 'alias', 'allowmethods', 'socache_shmcb', 'cache', 'cache_socache', 'auth_basic', 'authn_core', 'authn_file', 'authz_user'];
/** Debian 13 packages. Node.js is not among them: the runtime comes from the artifact bucket (NODE_RUNTIME); no npm install at boot. */
export const PACKAGES = ['apache2', 'awscli', 'python3'];

/**
 * Apache's balancer members, both port sets, one of them disabled; included by the site. The install
 * script switches sets live through the balancer manager and keeps this file saying the same, so a
 * later reload or restart (logrotate's, a reboot's) comes up on the set that serves.
 */
export const APACHE_MEMBERS_FILE = `${WEBAPP_ETC}/apache-members.conf`;
/** The balancer manager's password (root only) and its bcrypt hash (Apache's children read it); made at boot. */
export const BALANCER_MANAGER_SECRET_FILE = `${WEBAPP_ETC}/balancer-manager.secret`;
export const BALANCER_MANAGER_USERS_FILE = `${WEBAPP_ETC}/balancer-manager.htpasswd`;
/** Where a template line names the worker's port; webapp-configure-workers fills it in. */
const PORT_PLACEHOLDER = '@PORT@';

/** The most workers an instance runs (and the least distance between the two port sets' bases). */
export const MAX_WORKERS = 128;

/** The unit that completes the group's launch lifecycle hook (provisioning/files/webapp-lifecycle.service). */
export const LIFECYCLE_UNIT = 'webapp-lifecycle.service';

/** The systemd unit of the worker on `port`. */
export const workerUnit = (port: number) => `${WORKER_UNIT_PREFIX}${port}.service`;

/**
 * A file of provisioning/files as it lands on an instance: without its comment lines (EC2 takes 16 KB
 * of user data; the comments are half of it), with a line that says where to read them. The
 * shebang stays.
 */
const file = (name: string) => {
  const [first, ...rest] = fillPlaceholders(readFileSync(new URL(`./files/${name}`, import.meta.url), 'utf8'), name).split('\n');
  const shebang = first.startsWith('#!') ? [first] : [];
  const body = (shebang.length > 0 ? rest : [first, ...rest]).filter((line) => !/^\s*#/.test(line));
  return [...shebang, `# provisioning/files/${name} of the webapp repository, without its comments`, ...body].join('\n');
};

/**
 * The names the plain files share with this module, each defined once here: a file says
 * `@RELEASE_SETTINGS_FILE@` where it needs the path, and gets it filled in as it is rendered.
 */
export const FILE_PLACEHOLDERS: Readonly<Record<string, string>> = {
  RELEASE_SETTINGS_FILE,
  SERVICE_SETTINGS_FILE,
  INSTANCE_SETTINGS_FILE: INSTANCE_ENV_FILE,
  WEBAPP_ROOT,
  RELEASE_ENTRY_FILE,
};

/** `text` with every placeholder filled in; throws, naming the file, on one it does not know (@PORT@ is the boot's to fill). */
function fillPlaceholders(text: string, name: string): string {
  return text.replace(/@([A-Z_]+)@/g, (whole, key: string) => {
    if (whole === PORT_PLACEHOLDER) return whole;
    const value = FILE_PLACEHOLDERS[key];
    if (value === undefined) throw new Error(`provisioning/files/${name} names @${key}@, which render-user-data.ts does not define`);
    return value;
  });
}

/** The files that land on an instance, by absolute path, with their modes. */
export function renderProvisioningFiles(input: UserDataInput): Array<{ path: string; content: string; permissions: string }> {
  const { a, b } = input.portBases;
  if (!(Number.isInteger(input.balancerManagerPort) && input.balancerManagerPort >= 1 && input.balancerManagerPort <= 65_535) || input.balancerManagerPort === input.apachePort) {
    throw new Error(`balancerManagerPort must be a port (1-65535) other than apachePort ${input.apachePort}: got ${input.balancerManagerPort}`);
  }
  if (Math.abs(a - b) < MAX_WORKERS || Math.min(a, b) < 1024 || Math.max(a, b) + MAX_WORKERS > 65_536) {
    throw new Error(`portBases must be at least ${MAX_WORKERS} apart, with room for ${MAX_WORKERS} ports each between 1024 and 65535: got ${JSON.stringify(input.portBases)}`);
  }
  if (input.trustedProxyCidrs.length === 0) throw new Error('trustedProxyCidrs must name at least one range: the load balancer\'s subnets');
  if (input.workers !== undefined && !(Number.isInteger(input.workers) && input.workers >= 1 && input.workers <= MAX_WORKERS)) {
    throw new Error(`workers must be a whole number from 1 to ${MAX_WORKERS}: got ${input.workers}`);
  }
  const env = (values: Record<string, string | number>) =>
    `${Object.entries(values)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n')}\n`;
  // One member line; webapp-configure-workers writes it once per worker port at boot.
  const member =
    `BalancerMember "http://127.0.0.1:${PORT_PLACEHOLDER}" ttl=${BACKEND_CONNECTION_TTL_SECONDS} retry=1 connectiontimeout=2 timeout=30 ` +
    `hcmethod=GET hcuri=${HEALTH_PATH} hcinterval=${APACHE_HEALTH_CHECK_INTERVAL_SECONDS} hcfails=1 hcpasses=1\n`;
  const backend = [
    '# Rendered from the launch template settings; the site (sites-available/webapp.conf) uses these.',
    `Define WEBAPP_ROOT ${WEBAPP_ROOT}`,
    `Define WEBAPP_APACHE_PORT ${input.apachePort}`,
    `Define WEBAPP_MANAGER_PORT ${input.balancerManagerPort}`,
    `Define WEBAPP_MANAGER_USERS ${BALANCER_MANAGER_USERS_FILE}`,
    `Define WEBAPP_MEMBERS ${APACHE_MEMBERS_FILE}`,
    `Define WEBAPP_KEEPALIVE_TIMEOUT ${input.loadBalancerIdleTimeoutSeconds + 5}`,
    `Define WEBAPP_TRUSTED_PROXY_CIDRS "${input.trustedProxyCidrs.join(' ')}"`,
    'Define WEBAPP_LOG_DIR ${APACHE_LOG_DIR}',
    '',
  ].join('\n');

  return [
    {
      path: RELEASE_SETTINGS_FILE,
      permissions: '0644',
      content: env({
        AWS_REGION: input.region,
        RELEASE_BUCKET: input.bucketName,
        RELEASE_KEY: input.objectKey,
        RELEASE_VERSION_ID: input.objectVersionId,
        RELEASE_ID: input.releaseId,
        RELEASE_SHA256: input.archiveSha256,
        RUNTIME_KEY: input.runtime.objectKey,
        RUNTIME_VERSION_ID: input.runtime.objectVersionId,
        RUNTIME_SHA256: input.runtime.sha256,
        NODE_VERSION: input.runtime.version,
        PORT_BASE_A: a,
        PORT_BASE_B: b,
        MAX_WORKERS,
        ...(input.workers !== undefined && { WORKERS: input.workers }),
        APACHE_MEMBERS: APACHE_MEMBERS_FILE,
        WORKER_UNIT_PREFIX,
        MEMBER_TEMPLATE: MEMBER_TEMPLATE_FILE,
        UNIT_TEMPLATE: UNIT_TEMPLATE_FILE,
        DROPIN_TEMPLATE: DROPIN_TEMPLATE_FILE,
        DROPIN_EXTRAS_DIR,
        WORKERS_FILE,
        APACHE_PORT: input.apachePort,
        BALANCER_MANAGER_URL: `http://127.0.0.1:${input.balancerManagerPort}/balancer-manager`,
        BALANCER_MANAGER_AUTH_FILE: BALANCER_MANAGER_SECRET_FILE,
        BALANCER_MANAGER_USERS_FILE: BALANCER_MANAGER_USERS_FILE,
        HEALTH_PATH,
        VERSION_PATH,
        WEBAPP_ROOT,
        IMDS_ENDPOINT: input.metadataEndpoint ?? 'http://169.254.169.254',
        INSTANCE_ENV: INSTANCE_ENV_FILE,
        ...(input.lifecycleHook && { AUTO_SCALING_GROUP: input.lifecycleHook.groupName, LIFECYCLE_HOOK: input.lifecycleHook.hookName }),
      }),
    },
    {
      path: SERVICE_SETTINGS_FILE,
      permissions: '0644',
      content: env({
        HOST: '127.0.0.1',
        RELEASE_DIR: `${WEBAPP_ROOT}/current`,
        SHUTDOWN_TIMEOUT_MS: input.shutdownTimeoutSeconds * 1000,
        DRAIN_DELAY_MS,
        KEEP_ALIVE_TIMEOUT_MS: SERVICE_KEEP_ALIVE_TIMEOUT_MS,
        LOG_LEVEL: 'log',
        // Apache's access log records every request (status, bytes, time, client); a second line
        // per request in journald costs the workers a fifth of their throughput, and journald's
        // rate limit would drop such lines under load anyway.
        ACCESS_LOG: 'false',
        // The workers reach nothing but loopback (the unit's IPAddressDeny): the instance's id and zone
        // come from INSTANCE_ENV_FILE, which the install script writes as root.
        IMDS_ENABLED: 'false',
        HTTP_PLATFORM: input.httpPlatform ?? HTTP_PLATFORMS[0],
      }),
    },
    // Apache listens only where the load balancer sends traffic (Debian's default is port 80).
    // ... and the balancer manager on the loopback address only.
    { path: '/etc/apache2/ports.conf', permissions: '0644', content: `Listen ${input.apachePort}\nListen 127.0.0.1:${input.balancerManagerPort}\n` },
    { path: '/etc/apache2/conf-available/webapp-backend.conf', permissions: '0644', content: backend },
    { path: MEMBER_TEMPLATE_FILE, permissions: '0644', content: member },
    { path: '/etc/apache2/sites-available/webapp.conf', permissions: '0644', content: file('webapp-site.conf') },
    { path: UNIT_TEMPLATE_FILE, permissions: '0644', content: file('webapp.service') },
    {
      path: DROPIN_TEMPLATE_FILE,
      permissions: '0644',
      // Stop timeout above the drain delay plus the service's own shutdown bound: systemd never has to kill it.
      content: `[Service]\nEnvironment=PORT=${PORT_PLACEHOLDER}\nTimeoutStopSec=${input.shutdownTimeoutSeconds + Math.ceil(DRAIN_DELAY_MS / 1000) + 5}\nMemoryMax=${input.workerMemoryMaxMegabytes}M\n`,
    },
    { path: '/usr/local/sbin/webapp-configure-workers', permissions: '0755', content: file('configure-workers.sh') },
    { path: '/usr/local/sbin/webapp-install-release', permissions: '0755', content: file('install-release.sh') },
    ...(input.lifecycleHook
      ? [
          { path: '/usr/local/sbin/webapp-lifecycle', permissions: '0755', content: file('lifecycle-hook.py') },
          { path: `/etc/systemd/system/${LIFECYCLE_UNIT}`, permissions: '0644', content: file('webapp-lifecycle.service') },
        ]
      : []),
  ];
}

/**
 * The patch policy: an instance is never patched in place. Unattended upgrades and apt's daily jobs
 * are off (Debian's EC2 image turns them on: an apache2 update would restart Apache on every
 * instance in the same hour); each instance boots fully patched (package_upgrade, with a reboot when
 * a package asks for one), and the fleet is patched by replacing it, launch before terminate
 * (`make patch`, weekly from the CI workflow, and every release). Written before the packages are
 * installed, and named to sort after the image's 20auto-upgrades, so it wins.
 */
export const PATCH_POLICY_FILE = {
  path: '/etc/apt/apt.conf.d/99webapp-patch-policy',
  permissions: '0644',
  content: [
    '// The fleet is patched by replacing instances (make patch), never in place: see docs/provisioning.md, "Patch policy".',
    'APT::Periodic::Enable "0";',
    'APT::Periodic::Update-Package-Lists "0";',
    'APT::Periodic::Unattended-Upgrade "0";',
    '',
  ].join('\n'),
};

/**
 * What the boot leaves out that Debian's EC2 image would fetch or run (measured in BENCHMARKS.md,
 * "Boot budget"): the image lists `deb-src` for four suites and fetches translations, so a bare
 * `apt-get update` downloads 28.7 MB of lists where the packages need 10.6 MB; no Recommends (nodejs
 * would bring its documentation); and no man-db index rebuild after every package (the debconf
 * answer keeps an upgraded man-db from turning it back on). Written before packages are touched.
 */
export const BOOT_APT_FILE = {
  path: '/etc/apt/apt.conf.d/99webapp-boot',
  permissions: '0644',
  content: [
    '// What an instance does not need at boot: see docs/provisioning.md, "Boot budget".',
    'Acquire::Languages "none";',
    'Acquire::IndexTargets::deb-src::Sources::DefaultEnabled "false";',
    'APT::Install-Recommends "false";',
    '',
  ].join('\n'),
};
/** Runs before any package is touched (cloud-init's bootcmd, init stage). */
export const BOOT_MAN_DB_OFF = "echo 'man-db man-db/auto-update boolean false' | debconf-set-selections && rm -f /var/lib/man-db/auto-update";

/**
 * Cloud-config for Debian 13: packages from the archive, upgraded to the newest; the files above
 * (written after the packages, so Debian's postinst scripts cannot overwrite them), Apache set up,
 * the release installed.
 */
export function renderUserData(input: UserDataInput): string {
  const document = {
    bootcmd: [BOOT_MAN_DB_OFF],
    package_update: true,
    package_upgrade: true,
    package_reboot_if_required: true,
    packages: PACKAGES,
    write_files: [
      { ...PATCH_POLICY_FILE, owner: 'root:root' },
      { ...BOOT_APT_FILE, owner: 'root:root' },
      ...renderProvisioningFiles(input).map((entry) => ({ ...entry, owner: 'root:root', defer: true })),
    ],
    runcmd: [
      ['a2dissite', '000-default'],
      ['a2enmod', '-q', ...APACHE_MODULES],
      ['a2enconf', '-q', 'webapp-backend'],
      ['a2ensite', '-q', 'webapp'],
      ['/usr/local/sbin/webapp-configure-workers'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', 'apache2.service'],
      // Queued, not waited for: the unit starts once cloud-init's final stage (this one) is over, and
      // also after a failed install (which then abandons the launch rather than wait out the hook).
      ...(input.lifecycleHook ? [['systemctl', 'enable', LIFECYCLE_UNIT], ['systemctl', 'start', '--no-block', LIFECYCLE_UNIT]] : []),
      ['/usr/local/sbin/webapp-install-release'],
    ],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0, blockQuote: 'literal' })}`;
}
