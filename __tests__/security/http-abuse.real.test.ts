// Hostile HTTP through the real Apache in front of the real service, as provisioned: always a 4xx
// (or the documented status), never a 5xx, a stack trace, or a file from outside the release's public directory.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type RunningSite, startSite } from '../../support/apache-site.js';
import { buildRelease } from '../../support/release-process.js';
import { HTTP_PLATFORMS } from '../../constants.js';

/** The load balancer's address in this test: Apache believes X-Forwarded-For only from it. */
const LOAD_BALANCER = '127.0.0.2';
let running: RunningSite;

/** Sends raw bytes (no client-side normalisation) and returns the raw response. */
function raw(request: string | Buffer, localAddress = '127.0.0.1'): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: running.site.apachePort, localAddress });
    const chunks: Buffer[] = [];
    socket.setTimeout(8_000, () => socket.destroy(new Error(`no answer within 8 s to ${JSON.stringify(request.slice(0, 80))}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
  });
}
const get = (path: string, headers = '') => raw(`GET ${path} HTTP/1.1\r\nHost: webapp\r\n${headers}Connection: close\r\n\r\n`);

/** What no answer may contain: a stack trace, the manifest or server source outside public/, a system file. */
function expectNothingLeaked(body: string) {
  expect(body).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|root:x:0:0|"releaseId"|"files"\s*:|createApp|node_modules/);
}

describe.each(HTTP_PLATFORMS)('the service on %s', (platform) => {
  beforeAll(async () => {
    // The workers' access log is off on instances (Apache's has each request); on here to see what reached a worker.
    // Two ranges, as a load balancer in two subnets has; its address is in the second.
    running = await startSite(buildRelease(), { trustedProxyCidrs: ['127.0.0.5/32', `${LOAD_BALANCER}/32`], serviceEnv: { ACCESS_LOG: 'true', HTTP_PLATFORM: platform } });
  }, 60_000);

  afterAll(() => running?.stop());

  describe('malformed and oversized requests', () => {
    test.each([
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
      ['a request line with spaces in the path', 'GET /a b c HTTP/1.1\r\nHost: webapp\r\n\r\n', 400],
      ['a malformed protocol version', 'GET / HTTP/1.x\r\nHost: webapp\r\nConnection: close\r\n\r\n', 400],
      ['HTTP/0.9 (refused by HttpProtocolOptions Require1.0, the default)', 'GET /\r\n\r\n', 400],
      ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
      ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: webapp\r\nnot a header\r\n\r\n', 400],
      ['a header over LimitRequestFieldSize (8190 bytes)', `GET / HTTP/1.1\r\nHost: webapp\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`, 400],
      ['more than 100 header fields', `GET / HTTP/1.1\r\nHost: webapp\r\n${Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 400],
      ['a body over LimitRequestBody (1 MiB)', Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: webapp\r\nContent-Length: ${2 * 1024 * 1024}\r\nConnection: close\r\n\r\n`), Buffer.alloc(2 * 1024 * 1024, 97)]), 413],
    ])('%s', async (_name, request, status) => {
      const res = await raw(request);
      expect(res.status).toBe(status);
      expectNothingLeaked(res.body);
    }, 15_000);

    test.each([
      ['a small body on GET', 'GET /health HTTP/1.1\r\nHost: webapp\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'],
      ['a chunked body', 'GET /health HTTP/1.1\r\nHost: webapp\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
      // A smuggled second request hides in the bytes Content-Length would not count.
      ['both Content-Length and chunked (request smuggling)', 'GET /health HTTP/1.1\r\nHost: webapp\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: webapp\r\n\r\n'],
    ])('%s: 413, since the site takes no request body, and one answer only', async (_name, request) => {
      const res = await raw(request);
      expect(res.status).toBe(413);
      expect(res.body).not.toMatch(/HTTP\/1\.1 \d{3}/); // no second response
    }, 15_000);
  });

  describe('methods', () => {
    test.each([
      ['TRACE', 405],
      ['TRACK', 405],
      ['OPTIONS', 405],
      ['PUT', 405],
      ['DELETE', 405],
      ['PATCH', 405],
      ['POST', 405],
      ['PROPFIND', 405],
      ['FOO', 405],
      ['CONNECT', 400], // not even parsed: CONNECT needs host:port, and this is no proxy
    ])('%s / answers %i', async (method, status) => {
      const res = await raw(`${method} / HTTP/1.1\r\nHost: webapp\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(status);
      expectNothingLeaked(res.body);
    });

    test('GET and HEAD still work, on the page and on static assets', async () => {
      expect((await get('/')).status).toBe(200);
      expect((await raw('HEAD / HTTP/1.1\r\nHost: webapp\r\nConnection: close\r\n\r\n')).status).toBe(200);
      expect((await get('/static/site.css')).status).toBe(200);
    });

    test('no refused method reached a worker', async () => {
      // The workers' log must hold something for this to mean anything: the page may come from Apache's
      // cache, so ask for /version (never cached) and wait for its line to come through the pipe.
      const workerLines = () => running.workers.flatMap((worker) => worker.lines()).map((line) => line.message as { method?: string; url?: string });
      expect((await get('/version?probe=methods')).status).toBe(200);
      for (let attempt = 0; attempt < 50 && !workerLines().some((line) => line.url === '/version?probe=methods'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const methods = workerLines().map((line) => line.method).filter(Boolean);
      expect(methods.length).toBeGreaterThan(0);
      expect(methods.filter((method) => method !== 'GET' && method !== 'HEAD')).toEqual([]);
    });
  });

  describe('path traversal', () => {
    test.each([
      '/static/../../../../../../etc/passwd',
      '/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/static/%252e%252e/%252e%252e/etc/passwd',
      '/static/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/static/..%252f..%252fmanifest.json',
      '/static/../manifest.json',
      '/static/%2e%2e/manifest.json',
      '/static/%2e%2e/server.mjs',
      '/static/..%5c..%5cmanifest.json',
      '/static/.%2e/.%2e/.%2e/etc/passwd',
      '/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/static/site.css%00.txt',
      '/static/.htaccess',
    ])('%s: a 4xx, and nothing from outside public/', async (path) => {
      const res = await get(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectNothingLeaked(res.body);
    });

    test('the files those paths aim at exist (so the 4xx is a refusal, not a miss)', () => {
      const release = join(running.site.root, 'current');
      expect(readFileSync(join(release, 'manifest.json'), 'utf8')).toContain('"releaseId"');
      expect(readFileSync('/etc/passwd', 'utf8')).toContain('root:x:0:0');
      expect(readFileSync(join(release, 'public', 'site.css'), 'utf8').length).toBeGreaterThan(0);
    });
  });

  describe('X-Forwarded-For', () => {
    const accessLog = () => readFileSync(join(dirname(running.site.configPath), 'log', 'webapp-access.log'), 'utf8').trim().split('\n');

    test('a client forging it directly is logged with its own address', async () => {
      const res = await raw(`GET /health?forged-direct HTTP/1.1\r\nHost: webapp\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n`, '127.0.0.1');
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(accessLog().find((line) => line.includes('forged-direct'))).toMatch(/^127\.0\.0\.1 /);
    });

    test('behind the load balancer, the entry it appended counts, not the one the client forged', async () => {
      const res = await raw(`GET /health?forged-behind-lb HTTP/1.1\r\nHost: webapp\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9\r\nConnection: close\r\n\r\n`, LOAD_BALANCER);
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(accessLog().find((line) => line.includes('forged-behind-lb'))).toMatch(/^203\.0\.113\.9 /);
    });

    test('a malformed X-Forwarded-For is not an error', async () => {
      const res = await get('/', 'X-Forwarded-For: not-an-address, ::::, 999.1.1.1\r\n');
      expect(res.status).toBe(200);
    });
  });

  describe('logs', () => {
    test("hold no credential a client sent: neither Apache's logs nor the workers' record Authorization or Cookie", async () => {
      const res = await get('/?logs-check', 'Authorization: Bearer S3cr3tT0k3nValue\r\nCookie: session=S3cr3tC00kieValue\r\n');
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const logDir = join(dirname(running.site.configPath), 'log');
      const apacheLogs = ['webapp-access.log', 'webapp-error.log', 'error.log'].map((file) => readFileSync(join(logDir, file), 'utf8')).join('\n');
      const workerLogs = running.workers.flatMap((worker) => worker.lines()).map((line) => JSON.stringify(line)).join('\n');
      expect(apacheLogs).toContain('logs-check'); // the request was logged ...
      expect(workerLogs).toContain('logs-check');
      expect(`${apacheLogs}\n${workerLogs}`).not.toMatch(/S3cr3t/); // ... without what it carried
    });
  });
});
