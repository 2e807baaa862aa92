import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildRelease } from '../../support/release-process.js';
import { checkApacheConfig, type RunningSite, startSite, startWorker } from '../../support/apache-site.js';
import { HTTP_PLATFORMS } from '../../constants.js';

let running: RunningSite;
const url = (path: string) => running.url(path);

describe.each(HTTP_PLATFORMS)('the service on %s', (platform) => {
  beforeAll(async () => {
    // The workers' access log is off on instances (Apache's has each request); on here to see what reached a worker.
    running = await startSite(buildRelease(), { serviceEnv: { ACCESS_LOG: 'true', HTTP_PLATFORM: platform } });
  }, 60_000);

  afterAll(() => running?.stop());

  describe('the rendered Apache site', () => {
    test('passes apache2ctl -t with the real Apache', () => {
      expect(checkApacheConfig(running.site)).toEqual({ status: 0, output: 'Syntax OK\n' });
    });
  });

  describe('real Apache in front of the real release', () => {
    test('proxies the page, /health and /version to the workers', async () => {
      const page = await fetch(url('/'));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>lorem ipsum</h1>');
      expect(await (await fetch(url('/health'))).json()).toEqual({ status: 'ok' });
      const version = (await (await fetch(url('/version'))).json()) as { releaseId: string };
      expect(version.releaseId).toMatch(/^[0-9a-f]{16}$/);
    });

    test('serves static assets itself, with long cache headers, without asking the service', async () => {
      const res = await fetch(url('/static/site.css?v=1'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/css');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('etag')).toMatch(/^(W\/)?"[0-9a-f]+-[0-9a-f]+"$/); // weak only in the first second after unpacking
      expect(res.headers.get('server')).toBe('Apache');
      const workerUrls = running.workers.flatMap((worker) => worker.lines()).map((line) => (line.message as { url?: string }).url);
      expect(workerUrls).toContain('/health'); // the workers do log requests (Apache's health checks) ...
      expect(workerUrls.filter((path) => path?.startsWith('/static'))).toEqual([]); // ... but never a static asset
    });

    test('answers 304 for a static asset whose ETag the client has', async () => {
      const etag = (await fetch(url('/static/site.css'))).headers.get('etag')!;
      const res = await fetch(url('/static/site.css'), { headers: { 'If-None-Match': etag } });
      expect(res.status).toBe(304);
    });

    test('does not list directories or reveal its version', async () => {
      const res = await fetch(url('/static/'));
      expect(res.status).toBe(404); // no index file and no Indexes option: not even a 403 that confirms the directory
      expect(await res.text()).not.toMatch(/Index of|Apache\/2/);
    });

    test('loses no request while each worker restarts gracefully in turn', async () => {
      // GIVEN steady traffic through Apache from 4 clients, 3 on /version and 1 on the page
      let stop = false;
      const statuses: number[] = [];
      // (/version reaches a worker every time; the page mostly comes from Apache's cache)
      const client = async (path: string) => {
        while (!stop) {
          const status = await fetch(url(path), { signal: AbortSignal.timeout(5_000) }).then(
            async (res) => (await res.arrayBuffer(), res.status),
            () => 0,
          );
          statuses.push(status);
        }
      };
      const clients = ['/version', '/version', '/version', '/'].map(client);

      // WHEN each worker gets SIGTERM, exits and is started again, one after the other, leaving
      // Apache's health check (every second) time to see the restarted one before the next goes
      for (const [index, port] of running.site.servicePorts.entries()) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        running.workers[index].child.kill('SIGTERM');
        expect(await running.workers[index].exited).toBe(0);
        running.workers[index] = await startWorker(running.site, port);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop = true;
      await Promise.all(clients);

      // THEN every request succeeded
      expect(statuses.length).toBeGreaterThan(100);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    }, 60_000);
  });

  describe("Apache's page cache", () => {
    const workerStatuses = (path: string) =>
      running.workers
        .flatMap((worker) => worker.lines())
        .map((line) => line.message as { url?: string; status?: number })
        .filter((message) => message.url === path)
        .map((message) => message.status);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 300)); // the workers' log lines arrive through a pipe

    test('answers the page from memory: for 2 s of requests a worker is asked about twice a second, and says 304', async () => {
      // GIVEN the page fetched once WHEN clients ask for it for 2 s
      const page = await (await fetch(url('/'))).text();
      await settle();
      const before = workerStatuses('/').length;
      const bodies = new Set<string>();
      let requests = 0;
      const startedAt = Date.now();
      while (Date.now() - startedAt < 2_000) {
        const res = await fetch(url('/'));
        expect(res.status).toBe(200);
        bodies.add(await res.text());
        requests++;
      }
      await settle();

      // THEN every answer is the page, and the workers saw only the revalidations (s-maxage=1), answered 304
      expect([...bodies]).toEqual([page]);
      const asked = workerStatuses('/').slice(before);
      expect(requests).toBeGreaterThan(200);
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.length).toBeLessThanOrEqual(8);
      expect(new Set(asked)).toEqual(new Set([304]));
    });

    test('never keeps /version or /health (no-store): each request reaches a worker', async () => {
      await settle();
      const before = { version: workerStatuses('/version').length, health: workerStatuses('/health').length };
      for (let i = 0; i < 20; i++) {
        await (await fetch(url('/version'))).arrayBuffer();
        await (await fetch(url('/health?probe'))).arrayBuffer();
      }
      await settle();
      expect(workerStatuses('/version').length - before.version).toBe(20);
      expect(workerStatuses('/health?probe').length).toBe(20);
    });

    test('does not keep an error answer (no explicit lifetime): each 404 reaches a worker', async () => {
      for (let i = 0; i < 3; i++) expect((await fetch(url('/nope'))).status).toBe(404);
      await settle();
      expect(workerStatuses('/nope')).toEqual([404, 404, 404]);
    });
  });
});
