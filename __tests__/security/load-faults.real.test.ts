// Load and faults through the real Apache in front of two real service workers, as provisioned,
// driven by autocannon. Each run is bounded in time; the figures land in bench/results/load-faults.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type RunningSite, startSite, startWorker } from '../../support/apache-site.js';
import { type LoadResult, startLoad } from '../../support/load.js';
import { buildRelease } from '../../support/release-process.js';
import { REPOSITORY_ROOT } from '../terraform.js';
import { HTTP_PLATFORMS } from '../../constants.js';

const CONNECTIONS = 10;
let running: RunningSite;
const figures: string[] = [];
const url = (path: string) => running.url(path);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives /version through Apache for `seconds`, running `during` meanwhile; counts every non-2xx,
 * error and timeout. /version, not the page: Apache's cache answers most page requests itself, and
 * every /version request (no-store) reaches a worker.
 */
async function load(seconds: number, during: () => Promise<void> = async () => {}): Promise<LoadResult> {
  const running = startLoad(url('/version'), CONNECTIONS, seconds);
  const started = performance.now();
  await during();
  await sleep(seconds * 1000 - (performance.now() - started));
  return running.stop();
}

function record(platform: string, scenario: string, result: LoadResult) {
  const failures = Object.entries(result.statuses).filter(([code]) => !code.startsWith('2')).map(([code, count]) => `${count} x ${code}`);
  figures.push(`| ${platform} | ${scenario} | ${result.requests} | ${result.failed}${failures.length ? ` (${failures.join(', ')})` : ''} | ${result.rps} | ${result.p50} | ${result.p99} |`);
}

/** Restarts worker `index` gracefully, as systemd does: SIGTERM, wait for exit 0, start again. */
async function restartGracefully(index: number) {
  running.workers[index].child.kill('SIGTERM');
  expect(await running.workers[index].exited).toBe(0);
  running.workers[index] = await startWorker(running.site, running.site.servicePorts[index]);
}

afterAll(async () => {
  const table = [
    `Load and faults through Apache -> 2 service workers on loopback, autocannon ${CONNECTIONS} connections on /version, which every request takes to a worker (${new Date().toISOString().slice(0, 10)}, 2 cores, node ${process.version})`,
    "Command: npm run test:real -- --testPathPatterns security/load-faults",
    '',
    '| platform | scenario | requests | failed | req/s | p50 ms | p99 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...figures,
  ].join('\n');
  mkdirSync(join(REPOSITORY_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPOSITORY_ROOT, 'bench', 'results', 'load-faults.md'), `${table}\n`);
});

describe.each(HTTP_PLATFORMS)('the service on %s', (platform) => {
  beforeAll(async () => {
    running = await startSite(buildRelease(), { serviceEnv: { HTTP_PLATFORM: platform } });
    await load(2); // warm up: JIT, Apache's pooled connections
  }, 60_000);

  afterAll(() => running?.stop());

  describe('load and faults through the real Apache', () => {
    test('a sustained run: no errors, no non-2xx', async () => {
      const result = await load(8);
      record(platform, 'sustained, 8 s', result);
      expect(result.requests).toBeGreaterThan(1000);
      expect({ failed: result.failed, non2xx: result.non2xx }).toEqual({ failed: 0, non2xx: 0 });
    }, 30_000);

    test('a graceful restart of each worker in turn during load (SIGTERM as systemd sends it, then start): no failed request', async () => {
      const result = await load(10, async () => {
        await sleep(1_500);
        await restartGracefully(0);
        await sleep(2_000); // Apache's health check (every 1 s) sees the restarted worker before the next goes
        await restartGracefully(1);
      });
      record(platform, 'graceful restart of both workers, in turn, 10 s', result);
      expect(result.requests).toBeGreaterThan(1000);
      expect({ failed: result.failed, non2xx: result.non2xx }).toEqual({ failed: 0, non2xx: 0 });
    }, 40_000);

    test('a hard kill of one worker during load: at most the requests in flight on it fail, none once it is back', async () => {
      const result = await load(6, async () => {
        await sleep(2_000);
        running.workers[0].child.kill('SIGKILL');
        await running.workers[0].exited;
        await sleep(1_500);
        running.workers[0] = await startWorker(running.site, running.site.servicePorts[0]);
      });
      record(platform, 'SIGKILL of one worker, restarted 1.5 s later, 6 s', result);
      expect(result.requests).toBeGreaterThan(500);
      // No hang and no other kind of failure: what fails, fails fast with the proxy's own status.
      expect(Object.keys(result.statuses).filter((code) => !['200', '502', '503'].includes(code))).toEqual([]);
      // The balancer fails over on a refused connection and keeps the dead member out for 1 s (retry=1).
      expect(result.failed).toBeLessThanOrEqual(CONNECTIONS);
      const after = await load(3);
      record(platform, 'right after that, 3 s', after);
      expect({ failed: after.failed, non2xx: after.non2xx }).toEqual({ failed: 0, non2xx: 0 });
    }, 30_000);

    test('a hard kill of the whole service: Apache answers 503 within 1 s, and 200 again within 3 s of the restart', async () => {
      for (const worker of running.workers) worker.child.kill('SIGKILL');
      await Promise.all(running.workers.map((worker) => worker.exited));

      const answers: Array<{ status: number; ms: number }> = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        const started = performance.now();
        const status = await fetch(url('/version'), { signal: AbortSignal.timeout(5_000) }).then(
          async (res) => (await res.arrayBuffer(), res.status),
          () => 0,
        );
        answers.push({ status, ms: performance.now() - started });
      }
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(503));
      expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(1_000);

      const restarted = performance.now();
      for (const [index, port] of running.site.servicePorts.entries()) running.workers[index] = await startWorker(running.site, port);
      let firstOk = Number.NaN;
      while (performance.now() - restarted < 10_000) {
        const status = await fetch(url('/version')).then((res) => res.status, () => 0);
        if (status === 200) {
          firstOk = performance.now() - restarted;
          break;
        }
        await sleep(50);
      }
      figures.push(`| ${platform} | SIGKILL of both workers | 10 | 10 x 503 (by design) | | | max ${Math.round(Math.max(...answers.map((answer) => answer.ms)))} ms to the 503 |`);
      figures.push(`| ${platform} | restart after that | | | | | first 200 ${Math.round(firstOk)} ms after the restart began |`);
      expect(firstOk).toBeLessThan(3_000);
    }, 30_000);
  });
});
