// Where a worker's time goes: the release on each HTTP platform, one worker, under load on /version
// (autocannon, CONNECTIONS connections for BENCH_SECONDS, default 20 and 8), profiled with V8's
// sampling profiler (node --cpu-prof); prints the top frames by self time, per platform, and the
// CPU time per request (user + system time of the worker over the requests it served).
// Usage: npm run bench:profile
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_PLATFORMS, RELEASE_ENTRY_FILE } from '../constants.js';
import { freePort } from '../support/apache-site.js';
import { startLoad } from '../support/load.js';
import { pinnedNodeBinary } from '../release/node-runtime.js';

const root = join(import.meta.dirname, '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.CONNECTIONS ?? 20);
const TOP = 12;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

/** Self time per frame (function, file and line), as shares of all samples. */
function topFrames(profilePath: string): Array<{ share: number; frame: string }> {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((sum, node) => sum + node.hitCount, 0);
  const byFrame = new Map<string, number>();
  for (const { callFrame, hitCount } of profile.nodes) {
    const file = callFrame.url.replace(/^file:\/\/.*\//, '');
    const frame = `${callFrame.functionName || '(anonymous)'} ${file ? `${file}:${callFrame.lineNumber + 1}` : ''}`.trim();
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + hitCount);
  }
  return [...byFrame.entries()]
    .map(([frame, hits]) => ({ frame, share: hits / total }))
    .sort((a, b) => b.share - a.share)
    .slice(0, TOP);
}

// A readable build of the same sources (not minified), so the frames name functions and packages.
const release = join(mkdtempSync(join(tmpdir(), 'profile-release-')), 'release');
const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build-release.ts'), release], { env: { ...process.env, RELEASE_MINIFY: 'false' }, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`the release build failed: ${build.stderr}`);
const rows: string[] = [
  `One worker on loopback, /version, autocannon ${connections} connections for ${seconds} s, under node --cpu-prof; ${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  'Command: npm run bench:profile',
];
for (const platform of HTTP_PLATFORMS) {
  const dir = mkdtempSync(join(tmpdir(), `profile-${platform}-`));
  const port = await freePort();
  const child = spawn(pinnedNodeBinary(root), ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(release, RELEASE_ENTRY_FILE)], {
    env: { PATH: process.env.PATH, PORT: String(port), IMDS_ENABLED: 'false', ACCESS_LOG: 'false', DRAIN_DELAY_MS: '0', HTTP_PLATFORM: platform },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for (let attempt = 0; attempt < 200 && !(await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.ok, () => false)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const warm = startLoad(`http://127.0.0.1:${port}/version`, connections, 2);
  await new Promise((resolve) => setTimeout(resolve, 2_200));
  await warm.stop();
  const cpuBefore = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
  const load = startLoad(`http://127.0.0.1:${port}/version`, connections, seconds);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200));
  const result = await load.stop();
  const cpuAfter = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
  // utime and stime, fields 14 and 15, in clock ticks (100 per second here)
  const ticks = (stat: string[]) => Number(stat[13]) + Number(stat[14]);
  const cpuMicrosPerRequest = ((ticks(cpuAfter) - ticks(cpuBefore)) * 10_000) / result.requests;
  child.kill('SIGTERM');
  await exited;
  const profile = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!profile) throw new Error(`no profile written for ${platform}`);
  if (result.failed > 0) throw new Error(`${platform}: ${result.failed} failed requests`);
  rows.push(
    '',
    `${platform}: ${result.rps} req/s, ${Math.round(cpuMicrosPerRequest)} us of CPU per request (the profile's sampling included)`,
    '',
    '| self time | frame |',
    '| ---: | --- |',
    ...topFrames(join(dir, profile)).map(({ share, frame }) => `| ${(share * 100).toFixed(1)} % | \`${frame}\` |`),
  );
}
const table = rows.join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'profile-worker.md'), `${table}\n`);
