// The service on Fastify (HTTP_PLATFORM=fastify): Fastify's routing is already strict and
// case-sensitive; static assets by @fastify/static.
import fastifyStatic from '@fastify/static';
import type { INestApplication } from '@nestjs/common';
// The adapter alone: the package's index also loads its multipart and decorator modules.
import { FastifyAdapter } from '@nestjs/platform-fastify/adapters/fastify-adapter.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOSED_BODY, CLOSED_STATUS, climbsOut, type HttpPlatform } from './http-platform.js';

/** A schema compiler factory for a service whose routes have no schemas: using it is a mistake, said loudly. */
const noSchemas = (kind: string) => () => {
  throw new Error(`a route has a JSON schema, and this service brings no ${kind} compiler for it (service/platform/fastify-platform.ts)`);
};

export const fastifyPlatform: HttpPlatform = {
  name: 'fastify',
  // Our own closed answer (the same on both platforms) instead of Fastify's.
  createAdapter: (config) =>
    new FastifyAdapter({
      keepAliveTimeout: config.keepAliveTimeoutMs,
      return503OnClosing: false,
      // No route has a schema: compilers of our own keep Fastify from loading ajv and
      // fast-json-stringify (left out of the release, release/bundle-plugins.ts), and say so if one ever does.
      schemaController: { compilersFactory: { buildValidator: noSchemas('validator'), buildSerializer: noSchemas('serializer') } },
    }),
  appOptions: { bodyParser: false },
  configure: async (app: INestApplication, hooks, assets) => {
    const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
    const { lifecycle, accessLog, securityHeaders } = hooks;
    const staticPrefix = `${assets.prefix}/`;
    // No route takes a body (Apache refuses every one): no parser reads it, as on Express.
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    fastify.addHook('onRequest', (request, reply, done) => {
      if (accessLog) accessLog(request.raw, reply.raw);
      reply.headers(securityHeaders);
      if (lifecycle.isClosing) {
        reply.code(CLOSED_STATUS).header('Content-Type', 'application/json; charset=utf-8').header('Connection', 'close').send(CLOSED_BODY);
        return;
      }
      // @fastify/static would answer 403 for a directory or a path that climbs out: Nest's 404 instead, as on Express.
      if (request.url.startsWith(staticPrefix)) {
        const path = request.url.split('?', 1)[0];
        if (path.endsWith('/') || climbsOut(path)) {
          reply.callNotFound();
          return;
        }
      }
      done();
    });
    // Once draining, every response (also one already in flight) says Connection: close.
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (lifecycle.isShuttingDown) reply.header('Connection', 'close');
      done(null, payload);
    });
    await (app as NestFastifyApplication).register(fastifyStatic, {
      root: assets.root,
      prefix: `${assets.prefix}/`,
      maxAge: assets.maxAgeSeconds * 1000,
      immutable: true,
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      wildcard: true,
    });
  },
  ready: async (app) => {
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  },
};
