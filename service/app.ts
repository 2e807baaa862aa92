import type { Server } from 'node:http';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { STATIC_MAX_AGE_SECONDS, STATIC_URL_PREFIX } from '../constants.js';
import { AppModule } from './app.module.js';
import type { ServiceConfig } from './config/service-config.js';
import { closeConnectionsWhenDraining } from './lifecycle/close-when-draining.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { accessLog } from './logging/access-log.js';
import { helmetHeaders, securityHeaders } from './security/security-headers.js';

/**
 * Nest on Fastify rather than Express: on this 2-core machine the same controllers answered about
 * twice as many requests per second (BENCHMARKS.md). Apache keeps pooled connections to us for
 * less than `keepAliveTimeout`, so it never reuses one we closed. Once closing (after the drain
 * delay), a request that still arrives on an open connection gets 503 with `Connection: close`.
 */
export function createAdapter(config: ServiceConfig): FastifyAdapter {
  return new FastifyAdapter({ keepAliveTimeout: config.keepAliveTimeoutMs, return503OnClosing: true });
}

/** Builds the whole service, ready to `listen`. */
export async function createApp(config: ServiceConfig, logger: LoggerService): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createAdapter(config), { logger });
  return configureApp(app, config, logger);
}

/** Everything around the modules: hooks, security headers, static assets, server timeouts. The e2e tests reuse it. */
export async function configureApp(app: NestFastifyApplication, config: ServiceConfig, logger: LoggerService): Promise<NestFastifyApplication> {
  const fastify = app.getHttpAdapter().getInstance();
  if (config.accessLog) fastify.addHook('onRequest', accessLog(logger));
  fastify.addHook('onSend', closeConnectionsWhenDraining(app.get(LifecycleService)));
  // Plain HTTP is a supported deployment (no certificate), so never tell browsers to upgrade.
  fastify.addHook('onRequest', securityHeaders(helmetHeaders({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })));
  await app.register(fastifyStatic, {
    root: join(config.releaseDir, 'public'),
    prefix: `${STATIC_URL_PREFIX}/`,
    maxAge: STATIC_MAX_AGE_SECONDS * 1000,
    immutable: true,
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    wildcard: true,
  });

  const server = app.getHttpServer() as Server;
  server.headersTimeout = config.keepAliveTimeoutMs + 1_000;
  return app;
}

/**
 * Drains the service: /health turns 503 and responses say `Connection: close`; after `drainDelayMs`
 * (for the proxy to notice) the listener closes, in-flight requests may finish within `timeoutMs`,
 * after which remaining connections are cut. Resolves to how it ended.
 */
export async function shutDownGracefully(app: NestFastifyApplication, timeoutMs: number, drainDelayMs = 0): Promise<'drained' | 'forced'> {
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
