import type { Server } from 'node:http';
import { join } from 'node:path';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { STATIC_MAX_AGE_SECONDS, STATIC_URL_PREFIX } from '../constants.js';
import { AppModule } from './app.module.js';
import type { ServiceConfig } from './config/service-config.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { accessLog } from './logging/access-log.js';
import type { HttpPlatform } from './platform/http-platform.js';
import { helmetHeaders } from './security/security-headers.js';

/** The platform `config` names: Express unless HTTP_PLATFORM=fastify (docs/service.md, "Choosing the HTTP platform"). */
export async function platformOf(config: ServiceConfig): Promise<HttpPlatform> {
  return config.httpPlatform === 'fastify' ? (await import('./platform/fastify-platform.js')).fastifyPlatform : (await import('./platform/express-platform.js')).expressPlatform;
}

/** Builds the whole service, ready to `listen`. */
export async function createApp(config: ServiceConfig, logger: LoggerService): Promise<INestApplication> {
  const platform = await platformOf(config);
  const app = await NestFactory.create(AppModule.forRoot(config), platform.createAdapter(config), { ...platform.appOptions, logger });
  return configureApp(app, config, logger);
}

/**
 * Everything around the modules: request hooks (security headers, Connection: close while draining,
 * the closed answer, the access log), static assets, server timeouts. The e2e tests reuse it.
 * Apache keeps pooled connections to us for less than `keepAliveTimeout`, so it never reuses one we
 * closed. Once closing (after the drain delay), a request that still arrives on an open connection
 * gets 503 with `Connection: close`.
 */
export async function configureApp(app: INestApplication, config: ServiceConfig, logger: LoggerService): Promise<INestApplication> {
  const platform = await platformOf(config);
  await platform.configure(
    app,
    {
      // Plain HTTP is a supported deployment (no certificate), so never tell browsers to upgrade.
      securityHeaders: helmetHeaders({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }),
      lifecycle: app.get(LifecycleService),
      accessLog: config.accessLog ? accessLog(logger) : undefined,
    },
    { root: join(config.releaseDir, 'public'), prefix: STATIC_URL_PREFIX, maxAgeSeconds: STATIC_MAX_AGE_SECONDS },
  );
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.headersTimeout = config.keepAliveTimeoutMs + 1_000;
  return app;
}

/**
 * Drains the service: /health turns 503 and responses say `Connection: close`; after `drainDelayMs`
 * (for the proxy to notice) the listener closes and requests still arriving on open connections get
 * the closed answer; in-flight requests may finish within `timeoutMs`, after which remaining
 * connections are cut. Resolves to how it ended.
 */
export async function shutDownGracefully(app: INestApplication, timeoutMs: number, drainDelayMs = 0): Promise<'drained' | 'forced'> {
  const lifecycle = app.get(LifecycleService);
  lifecycle.beginShutdown();
  await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  lifecycle.beginClosing();
  const server = app.getHttpServer() as Server;
  let outcome: 'drained' | 'forced' = 'drained';
  const deadline = setTimeout(() => {
    outcome = 'forced';
    server.closeAllConnections();
  }, timeoutMs);
  await app.close();
  clearTimeout(deadline);
  return outcome;
}
