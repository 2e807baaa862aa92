import { request as httpRequest, type Agent } from 'node:http';
import { Agent as KeepAliveAgent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { shutDownGracefully } from '../../service/app.js';
import { type RecordingLogger, startTestApp, testConfig } from './test-app.js';

describe('the service around its routes', () => {
  let app: NestFastifyApplication;
  let logger: RecordingLogger;
  beforeAll(async () => ({ app, logger } = await startTestApp()));
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

  test.each(['/static/../package.json', '/static/%2e%2e/package.json', '/static/%252e%252e/package.json', '/static/', '/static/.hidden'])(
    'does not serve %s',
    async (path) => {
      const res = await request(app.getHttpServer()).get(path);
      // @fastify/static refuses a path outside its root or a directory with 403, a hidden file with 404.
      expect([403, 404]).toContain(res.status);
      expect(res.text).not.toContain('cdktf');
    },
  );

  test('answers unknown routes with a JSON 404', async () => {
    const res = await request(app.getHttpServer()).get('/nope').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' });
  });

  test('answers a malformed JSON body with a 400 and no stack trace', async () => {
    const res = await request(app.getHttpServer()).post('/').set('Content-Type', 'application/json').send('{"a":').expect(400);
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

describe('graceful shutdown', () => {
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
    const { app } = await startTestApp(testConfig({ SHUTDOWN_TIMEOUT_MS: '5000' }));
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
    const { app } = await startTestApp(testConfig());
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

  test('cuts connections that outlive the bound', async () => {
    const { app } = await startTestApp(testConfig());
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
