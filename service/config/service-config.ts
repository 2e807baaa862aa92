import { existsSync, statSync } from 'node:fs';
import * as z from 'zod';
import { DEFAULTS, DRAIN_DELAY_MS, SERVICE_KEEP_ALIVE_TIMEOUT_MS, SERVICE_PORT, SHUTDOWN_TIMEOUT_MS } from '../../constants.js';
import { HTTP_PLATFORMS, type HttpPlatformName } from '../platform/http-platform.js';

/** The service's settings, read once from the environment at boot. */
export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  /** Directory holding `public/` and, for a built release, `manifest.json`. */
  readonly releaseDir: string;
  readonly shutdownTimeoutMs: number;
  /** How long to keep serving after SIGTERM, /health at 503, before the listener closes. */
  readonly drainDelayMs: number;
  readonly keepAliveTimeoutMs: number;
  /**
   * The instance's identity as the install script read it from the metadata service (instances: the
   * workers may not reach it). When set, the service never asks the metadata service itself.
   */
  readonly instanceIdentity: { readonly instanceId: string; readonly availabilityZone: string } | null;
  readonly imdsEnabled: boolean;
  readonly imdsEndpoint: string;
  readonly imdsTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** One log line per request. Off on instances: Apache's access log already has each request. */
  readonly accessLog: boolean;
  /** The HTTP platform Nest runs on: Express (the default) or Fastify. */
  readonly httpPlatform: HttpPlatformName;
}

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that cannot be used; the message names the variable, the value and the rule. */
export class ServiceConfigError extends Error {
  override readonly name = 'ServiceConfigError';
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);

const host = z
  .string()
  .refine(
    (value) => z.ipv4().safeParse(value).success || z.ipv6().safeParse(value).success || z.hostname().safeParse(value).success,
    'must be an IP address or a host name',
  );

const boolean = z.enum(['true', 'false'], 'must be "true" or "false"').transform((value) => value === 'true');

const directory = z.string().refine((path) => existsSync(path) && statSync(path).isDirectory(), 'must be an existing directory');

/** The service's environment variables: their rules, defaults and descriptions (docs/configuration.md is generated from them). */
export const serviceEnvironmentSchema = z.object({
  PORT: integer(0, 65_535).default(SERVICE_PORT).describe('whole number 0-65535 (0 picks a free port; the `listening` log line says which)'),
  HOST: host.default('127.0.0.1').describe('IP address or host name; loopback because Apache is in front'),
  RELEASE_DIR: directory.optional().meta({ description: 'an existing directory holding `public/` and `manifest.json`', defaultText: "the entry point's directory" }),
  SHUTDOWN_TIMEOUT_MS: integer(1, 600_000).default(SHUTDOWN_TIMEOUT_MS).describe('whole number 1-600000: how long in-flight requests may take after SIGTERM'),
  DRAIN_DELAY_MS: integer(0, 60_000)
    .default(DRAIN_DELAY_MS)
    .describe("whole number 0-60000: how long to go on serving after SIGTERM (with `/health` at 503) before the listener closes, so Apache's health check takes the worker out first"),
  KEEP_ALIVE_TIMEOUT_MS: integer(1_000, 3_600_000).default(SERVICE_KEEP_ALIVE_TIMEOUT_MS).describe("whole number 1000-3600000: must stay above Apache's backend `ttl`"),
  INSTANCE_ID: z
    .string()
    .regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id such as i-0123456789abcdef0')
    .optional()
    .meta({
      description:
        "the instance's id (`i-` and 8-17 hex digits), set with `AVAILABILITY_ZONE` or neither; when both are set, the service never asks the metadata service. Instances: the install script writes both to `/etc/webapp/instance.env`",
      defaultText: 'unset',
    }),
  AVAILABILITY_ZONE: z
    .string()
    .regex(/^[a-z]{2}-[a-z0-9-]+[a-z]$/, 'must be an availability zone such as eu-west-1a')
    .optional()
    .meta({ description: "the instance's zone, such as `eu-west-1a`, set with `INSTANCE_ID` or neither", defaultText: 'unset' }),
  IMDS_ENABLED: boolean.default(true).describe('`true` or `false`: look the instance up in EC2 instance metadata (instances: `false`; their workers may reach loopback only)'),
  IMDS_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).default('http://169.254.169.254').describe('http(s) URL of the instance metadata service'),
  IMDS_TIMEOUT_MS: integer(1, 10_000).default(500).describe('whole number 1-10000, per metadata request'),
  LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('log').describe(`one of ${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}`),
  ACCESS_LOG: boolean
    .default(true)
    .describe(
      "`true` or `false`: one JSON line per request. Instances set `false`: Apache's access log already records each request, the second line cost the workers about a fifth of their throughput, and journald's rate limit would drop it under load",
    ),
  HTTP_PLATFORM: z
    .enum(HTTP_PLATFORMS, `must be one of ${HTTP_PLATFORMS.join(', ')}`)
    .default(DEFAULTS.service.httpPlatform)
    .describe("`express` or `fastify`: the HTTP platform Nest runs on (instances: the environment's `service.httpPlatform`)"),
});

/**
 * Reads and validates the service's environment. Throws a ServiceConfigError naming every bad
 * variable, so a misconfigured instance refuses to start instead of half-working.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv, defaults: { releaseDir: string }): ServiceConfig {
  const result = serviceEnvironmentSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${JSON.stringify(env[name])}: ${issue.message}`;
    });
    throw new ServiceConfigError(`invalid service configuration: ${problems.join('; ')}`);
  }
  const vars = result.data;
  if ((vars.INSTANCE_ID === undefined) !== (vars.AVAILABILITY_ZONE === undefined)) {
    const [given, missing] = vars.INSTANCE_ID === undefined ? ['AVAILABILITY_ZONE', 'INSTANCE_ID'] : ['INSTANCE_ID', 'AVAILABILITY_ZONE'];
    throw new ServiceConfigError(`invalid service configuration: ${missing}=undefined: must be set with ${given}, or neither`);
  }
  return {
    port: vars.PORT,
    host: vars.HOST,
    releaseDir: vars.RELEASE_DIR ?? defaults.releaseDir,
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: vars.DRAIN_DELAY_MS,
    keepAliveTimeoutMs: vars.KEEP_ALIVE_TIMEOUT_MS,
    instanceIdentity: vars.INSTANCE_ID && vars.AVAILABILITY_ZONE ? { instanceId: vars.INSTANCE_ID, availabilityZone: vars.AVAILABILITY_ZONE } : null,
    imdsEnabled: vars.IMDS_ENABLED,
    imdsEndpoint: vars.IMDS_ENDPOINT.replace(/\/+$/, ''),
    imdsTimeoutMs: vars.IMDS_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
    accessLog: vars.ACCESS_LOG,
    httpPlatform: vars.HTTP_PLATFORM,
  };
}
