import { request as httpRequest, type Agent } from 'node:http';
import { Agent as KeepAliveAgent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { shutDownGracefully } from '../../service/app.js';
import { LifecycleService } from '../../service/lifecycle/lifecycle.service.js';
import { CLOSED_BODY } from '../../service/platform/http-platform.js';
import { HTTP_PLATFORMS, type RecordingLogger, startTestApp, testConfig } from './test-app.js';

describe.each(HTTP_PLATFORMS)('the service around its routes, on %s', (platform) => {
  let app: INestApplication;
  let logger: RecordingLogger;
  beforeAll(async () => ({ app, logger } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }))));
  afterAll(() => app.close());

  test('serves the stylesheet with cache headers', async () => {
    const res = await request(app.getHttpServer()).get('/static/site.css?v=development').expect(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.etag).toBeDefined();
    expect(res.text).toContain('font:');
  });

  test('serves the icon as SVG', async () => {
    const res = await request(app.getHttpServer()).get('/static/icon.svg').expect(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
  });

  test.each(['/static/../package.json', '/static/%2e%2e/package.json', '/static/%2E%2E/package.json', '/static/%252e%252e/package.json', '/static/', '/static/.hidden', '/static/nope.css'])(
    'does not serve %s: the same JSON 404 as any unknown route',
    async (path) => {
      const res = await request(app.getHttpServer()).get(path);
      expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` } });
      expect(res.text).not.toContain('cdktf');
    },
  );

  test.each(['/VERSION', '/version/', '/Health', '/health/', '//health', '/static/SITE.CSS'])('routes strictly: %s is not a route (case-sensitive, no trailing-slash alias)', async (path) => {
    const res = await request(app.getHttpServer()).get(path);
    expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` } });
  });

  test('the same validators per route: a strong ETag on the page, none on /health and /version (no-store), a validator on static assets', async () => {
    const page = await request(app.getHttpServer()).get('/').expect(200);
    expect(page.headers.etag).toMatch(/^"[^"]+"$/);
    for (const path of ['/health', '/version']) {
      const res = await request(app.getHttpServer()).get(path).expect(200);
      expect({ path, etag: res.headers.etag, lastModified: res.headers['last-modified'], cacheControl: res.headers['cache-control'] }).toEqual({ path, etag: undefined, lastModified: undefined, cacheControl: 'no-store' });
    }
    const css = await request(app.getHttpServer()).get('/static/site.css').expect(200);
    expect(css.headers.etag).toMatch(/^W\/"[^"]+"$/);
    expect(css.headers['last-modified']).toBeDefined();
  });

  test('answers unknown routes with a JSON 404', async () => {
    const res = await request(app.getHttpServer()).get('/nope').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' });
  });

  test('reads no request body: a malformed JSON body to a route that takes none is a plain 404, no parser error, no stack trace', async () => {
    const res = await request(app.getHttpServer()).post('/').set('Content-Type', 'application/json').send('{"a":').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot POST /' });
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\.ts:/);
  });

  test('sets security headers and hides the framework', async () => {
    const res = await request(app.getHttpServer()).get('/').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  test('logs one structured access line per request, with status and duration', async () => {
    await request(app.getHttpServer()).get('/health?probe=1').expect(200);
    const lines = logger.entries.filter((entry) => entry.context === 'Access' && (entry.message as { url: string }).url === '/health?probe=1');
    expect(lines).toHaveLength(1);
    expect(lines[0].message).toMatchObject({ event: 'request', method: 'GET', status: 200, completed: true, durationMs: expect.any(Number) });
  });
});

describe.each(HTTP_PLATFORMS)('graceful shutdown, on %s', (platform) => {
  function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string; connection?: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('lets an in-flight request finish, reports 503 on /health meanwhile, then stops accepting', async () => {
    // GIVEN a listening app with a slow request in flight on a keep-alive connection
    const { app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform, SHUTDOWN_TIMEOUT_MS: '5000' }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const agent = new KeepAliveAgent({ keepAlive: true, maxSockets: 2 });
    await get(port, '/health', agent); // opens pooled connections, as Apache does
    const slow = get(port, '/test-slow', agent);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // WHEN shutdown begins
    const shutdown = shutDownGracefully(app, 5000);
    const health = await get(port, '/health', agent).catch((error: Error) => ({ status: 0, body: error.message }));

    // THEN the slow request completes, health was 503 (or the connection was already refused), and nothing new is accepted
    expect(await slow).toEqual({ status: 200, body: '{"done":true}', connection: 'close' });
    expect([503, 0]).toContain(health.status);
    expect(await shutdown).toBe('drained');
    await expect(get(port, '/health')).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });

  test('goes on serving through the drain delay, with /health at 503 and Connection: close, then refuses', async () => {
    // GIVEN a listening app WHEN shutdown begins with a drain delay
    const { app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const shutdown = shutDownGracefully(app, 5000, 300);

    // THEN new connections are still served meanwhile, telling the proxy to let go
    const health = await get(port, '/health');
    expect(health).toEqual({ status: 503, body: '{"status":"shutting-down"}', connection: 'close' });
    expect(await get(port, '/')).toMatchObject({ status: 200, connection: 'close' });
    expect(await shutdown).toBe('drained');
    await expect(get(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('answers a request that still arrives on an open connection once closing with the same JSON 503 and Connection: close', async () => {
    // GIVEN a listening app and a pooled keep-alive connection, as Apache holds them
    const { app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const agent = new KeepAliveAgent({ keepAlive: true, maxSockets: 1 });
    await get(port, '/health', agent);
    // WHEN the drain is over and the listener closes
    app.get(LifecycleService).beginClosing();
    // THEN the next request on that connection gets the closed answer
    expect(await get(port, '/version', agent)).toEqual({ status: 503, body: CLOSED_BODY, connection: 'close' });
    expect(JSON.parse(CLOSED_BODY)).toEqual({ statusCode: 503, message: 'Service Unavailable', error: 'Service Unavailable' });
    agent.destroy();
    await app.close();
  });

  test('cuts connections that outlive the bound', async () => {
    const { app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const slow = get(port, '/test-slow').catch((error: Error) => error.message);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const startedAt = Date.now();
    expect(await shutDownGracefully(app, 100)).toBe('forced');
    expect(Date.now() - startedAt).toBeLessThan(350);
    expect(await slow).toMatch(/socket hang up|ECONNRESET/);
  });
});
