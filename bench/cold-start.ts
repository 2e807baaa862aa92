// Cold start of the built release, on each HTTP platform: from spawning `node server.mjs` to the first 200 on /health,
// on the pinned Node.js that instances run. Each platform twice: a first start (no compile cache: a worker's first
// start of a new release) and a restart (the worker's compile cache warm, as the unit keeps it between starts).
// Beside them, the floor: a bare node:http server started the same way. Median of RUNS runs each.
// Usage: npm run bench:cold-start   (builds the release first; RUNS=15 by default)
//        COMPARE_WITH=<release dir> adds the same rows for another build (say, one of an earlier commit), interleaved with these.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_PLATFORMS, NODE_RUNTIME, RELEASE_ENTRY_FILE } from '../constants.js';
import { freePort } from '../support/apache-site.js';
import { pinnedNodeBinary } from '../release/node-runtime.js';

const root = join(import.meta.dirname, '..');
/** The runtime instances run (NODE_RUNTIME), for the release and the floor alike. */
const node = pinnedNodeBinary(root);
const runs = Number(process.env.RUNS ?? 15);
const releaseDir = process.argv[2] ?? join(root, 'dist', 'release');


function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

async function timeToHealthy(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const port = await freePort();
  const startedAt = process.hrtime.bigint();
  const child = spawn(node, args, { env: { PATH: process.env.PATH, PORT: String(port), IMDS_ENABLED: 'false', ...env }, stdio: 'ignore' });
  try {
    for (;;) {
      if (await healthy(port)) return Number(process.hrtime.bigint() - startedAt) / 1e6;
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      if (Number(process.hrtime.bigint() - startedAt) > 10e9) throw new Error(`${args.join(' ')} not healthy after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

const bareServer = "require('node:http').createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,'127.0.0.1')";
const releaseSubjects = (dir: string, label: string) =>
  HTTP_PLATFORMS.flatMap((platform) => [
    { name: `${label} on ${platform}, first start (no compile cache)`, args: [join(dir, RELEASE_ENTRY_FILE)], env: { HTTP_PLATFORM: platform } },
    // One directory per platform, filled by the warm-up start below: what the unit's CacheDirectory holds after a worker's first start.
    { name: `${label} on ${platform}, restart (compile cache warm)`, args: [join(dir, RELEASE_ENTRY_FILE)], env: { HTTP_PLATFORM: platform, NODE_COMPILE_CACHE: mkdtempSync(join(tmpdir(), `compile-cache-${platform}-`)) } },
  ]);
const subjects = [
  ...releaseSubjects(releaseDir, 'release'),
  ...(process.env.COMPARE_WITH ? releaseSubjects(process.env.COMPARE_WITH, `release in ${process.env.COMPARE_WITH}`) : []),
  { name: 'bare node:http server', args: ['-e', bareServer], env: {} },
];

for (const subject of subjects.filter(({ env }) => 'NODE_COMPILE_CACHE' in env)) await timeToHealthy(subject.args, subject.env);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = new Map(subjects.map((subject) => [subject.name, [] as number[]]));
for (let run = 0; run < runs; run++) {
  // Interleaved, so both see the same machine state.
  for (const subject of subjects) samples.get(subject.name)!.push(await timeToHealthy(subject.args, subject.env));
}

const floor = median(samples.get(subjects.at(-1)!.name)!);
const rows = subjects.map(({ name }) => {
  const values = samples.get(name)!;
  const sorted = [...values].sort((a, b) => a - b);
  return `| ${name} | ${median(values).toFixed(0)} | ${sorted[0].toFixed(0)} | ${sorted[sorted.length - 1].toFixed(0)} | ${(median(values) / floor).toFixed(2)}x |`;
});
const table = [
  `Cold start, process start to first 200 on /health (${runs} runs each, interleaved; ${cpus().length} cores, node ${NODE_RUNTIME.version} as instances run it, ${new Date().toISOString().slice(0, 10)})`,
  '',
  '| subject | median ms | min ms | max ms | vs bare node |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
console.log(table);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'cold-start.md'), `${table}\n`);
