// The service on Express (the default): strict, case-sensitive routes, no body parsers, no ETag on
// JSON, no X-Powered-By, static assets by serve-static (express.static).
import type { INestApplication } from '@nestjs/common';
// The adapter alone: the package's index also loads its file-upload interceptors and multer.
import { ExpressAdapter } from '@nestjs/platform-express/adapters/express-adapter.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CLOSED_BODY, CLOSED_STATUS, type HttpPlatform } from './http-platform.js';

export const expressPlatform: HttpPlatform = {
  name: 'express',
  createAdapter: () => {
    const instance = express();
    instance.set('case sensitive routing', true);
    instance.set('strict routing', true);
    instance.set('etag', false);
    instance.disable('x-powered-by');
    return new ExpressAdapter(instance);
  },
  appOptions: { bodyParser: false },
  configure: async (app: INestApplication, hooks, assets) => {
    const headers = Object.entries(hooks.securityHeaders);
    const { lifecycle, accessLog } = hooks;
    app.use((request: Request, response: Response, next: NextFunction) => {
      if (accessLog) accessLog(request, response);
      for (const [name, value] of headers) response.setHeader(name, value);
      if (lifecycle.isClosing) {
        response.writeHead(CLOSED_STATUS, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' }).end(CLOSED_BODY);
        return;
      }
      // Once draining, every response (also one already in flight) says Connection: close.
      const writeHead = response.writeHead;
      response.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
        if (lifecycle.isShuttingDown) this.setHeader('Connection', 'close');
        return writeHead.apply(this, args);
      } as Response['writeHead'];
      next();
    });
    // fallthrough: a miss, a directory and a path that climbs out of the root (send's 403) all go on to Nest's 404.
    app.use(assets.prefix, express.static(assets.root, { maxAge: assets.maxAgeSeconds * 1000, immutable: true, index: false, redirect: false, dotfiles: 'ignore', fallthrough: true }));
  },
  ready: async () => {},
};
