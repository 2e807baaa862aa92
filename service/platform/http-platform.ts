// What the service needs from its HTTP platform. Everything else (controllers, health and draining,
// graceful shutdown, version and IMDS, the page with its ETag and 304, security headers worked out
// once, static assets' rules, the access log) is platform-neutral; what differs lives in one small
// file per platform: express-platform.ts (the default) and fastify-platform.ts (HTTP_PLATFORM=fastify).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { ServiceConfig } from '../config/service-config.js';
import type { LifecycleService } from '../lifecycle/lifecycle.service.js';

import type { HttpPlatformName } from '../../constants.js';

export { HTTP_PLATFORMS, type HttpPlatformName } from '../../constants.js';

/** The part of a response object both platforms' have (Express's Response, Fastify's FastifyReply), for `@Res({ passthrough: true })`. */
export interface ServiceResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/** The answer to a request that arrives on an open connection after the listener closed (draining is over). */
export const CLOSED_STATUS = 503;
export const CLOSED_BODY = JSON.stringify({ statusCode: CLOSED_STATUS, message: 'Service Unavailable', error: 'Service Unavailable' });

/** What every request gets, whichever the platform. */
export interface RequestHooks {
  /** Helmet's headers, worked out once (security/security-headers.ts). */
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly lifecycle: LifecycleService;
  /** Called at the start of each request when the access log is on. */
  readonly accessLog?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** The static assets (`public/` of the release under STATIC_URL_PREFIX), served the same way on both. */
export interface StaticAssets {
  readonly root: string;
  readonly prefix: string;
  readonly maxAgeSeconds: number;
}

export interface HttpPlatform {
  readonly name: HttpPlatformName;
  /** Nest's adapter, set up for strict, case-sensitive routes and the keep-alive timeout. */
  createAdapter(config: ServiceConfig): AbstractHttpAdapter;
  /** Options for the Nest application (Express: no body parsers; nothing takes a body). */
  readonly appOptions: NestApplicationOptions;
  /** Registers the request hooks and the static assets on `app`. */
  configure(app: INestApplication, hooks: RequestHooks, assets: StaticAssets): Promise<void>;
  /** Resolves once the server handles requests without `listen` (supertest in the tests). */
  ready(app: INestApplication): Promise<void>;
}

/** Whether a request path names a parent directory (`..`, encoded or not): such a path is never served. */
export function climbsOut(path: string): boolean {
  return /(^|\/)(\.|%2e){2}(\/|$)/i.test(path);
}
