import type { Server } from 'node:http';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { STATIC_MAX_AGE_SECONDS, STATIC_URL_PREFIX } from '../constants.js';
import { AppModule } from './app.module.js';
import type { ServiceConfig } from './config/service-config.js';
import { closeConnectionsWhenDraining } from './lifecycle/close-when-draining.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { accessLog } from './logging/access-log.js';

/** Builds the whole service, ready to `listen`. */
export async function createApp(config: ServiceConfig, logger: LoggerService): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger });
  return configureApp(app, config, logger);
}

/** Everything around the modules: middleware, static assets, server timeouts. The e2e tests reuse it. */
export function configureApp(app: NestExpressApplication, config: ServiceConfig, logger: LoggerService): NestExpressApplication {
  app.use(accessLog(logger));
  app.use(closeConnectionsWhenDraining(app.get(LifecycleService)));
  // Plain HTTP is a supported deployment (no certificate), so never tell browsers to upgrade.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.useStaticAssets(join(config.releaseDir, 'public'), {
    prefix: STATIC_URL_PREFIX,
    maxAge: STATIC_MAX_AGE_SECONDS * 1000,
    immutable: true,
    index: false,
    redirect: false,
    dotfiles: 'ignore',
  });

  // Apache keeps pooled connections to us for less than this, so it never reuses one we closed.
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.headersTimeout = config.keepAliveTimeoutMs + 1_000;
  return app;
}

/**
 * Drains the service: /health turns 503 and responses say `Connection: close`; after `drainDelayMs`
 * (for the proxy to notice) the listener closes, in-flight requests may finish within `timeoutMs`,
 * after which remaining connections are cut. Resolves to how it ended.
 */
export async function shutDownGracefully(app: NestExpressApplication, timeoutMs: number, drainDelayMs = 0): Promise<'drained' | 'forced'> {
  app.get(LifecycleService).beginShutdown();
  await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
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
