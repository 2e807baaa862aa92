// `make local`, the main job, phase by phase: in a copy of the repository whose npm packages and
// venv are installed (linked, as a clone after `make deps`), with no build output, state or emulator,
// then once more with nothing changed (what a developer runs after every change is closer to the
// second). Phases come from scripts/stack.sh's own marks (STACK_TIMINGS=1); the slowest resources
// from Terraform's "Creation complete after" lines.
// Usage: npm run bench:local
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort } from '../support/apache-site.js';

const root = join(import.meta.dirname, '..');
const LEFT_OUT = new Set(['.git', 'node_modules', '.venv', 'dist', 'cdktf.out', 'cdktf.local.out', '.local', 'coverage', '.terraform']);

interface Run {
  readonly totalMs: number;
  readonly phases: Array<{ phase: string; ms: number }>;
  readonly slowest: Array<{ resource: string; seconds: number }>;
}

function repositoryCopy(): string {
  for (const needed of ['node_modules', '.venv']) {
    if (!existsSync(join(root, needed))) throw new Error(`${needed} is missing: this benchmark measures a clone whose packages and venv are installed (make deps)`);
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-local-')), 'repo');
  cpSync(root, dir, { recursive: true, filter: (source) => source === root || !LEFT_OUT.has(basename(source)) });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(root, '.venv'), join(dir, '.venv'));
  return dir;
}

function makeLocal(dir: string, port: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn(join(dir, 'scripts', 'stack.sh'), ['local'], {
      cwd: dir,
      env: { ...process.env, LOCAL_PORT: String(port), ENV: 'dev', STACK_TIMINGS: '1', PATH: `${join(dir, 'node_modules', '.bin')}:${process.env.PATH}` },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => {
      const totalMs = Date.now() - startedAt;
      const text = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      if (status !== 0) return reject(new Error(`make local exited ${status}:\n${text.slice(-3000)}`));
      const marks = [...text.matchAll(/^stack-timing (\d+) (.+)$/gm)].map(([, at, phase]) => ({ at: Number(at), phase }));
      const phases = marks.slice(1).map((mark, index) => ({ phase: mark.phase, ms: mark.at - marks[index].at }));
      const slowest = [...text.matchAll(/(\w+\.[\w-]+?)(?:_[0-9A-F]{8})?: Creation complete after (?:(\d+)m)?(\d+)s/g)]
        .map(([, resource, minutes, seconds]) => ({ resource, seconds: Number(minutes ?? 0) * 60 + Number(seconds) }))
        .sort((a, b) => b.seconds - a.seconds)
        .slice(0, 5);
      resolve({ totalMs, phases, slowest });
    });
  });
}

const dir = repositoryCopy();
const port = await freePort();
let first: Run;
let second: Run;
try {
  first = await makeLocal(dir, port);
  second = await makeLocal(dir, port);
} finally {
  const pid = join(dir, '.local', 'moto.pid');
  if (existsSync(pid)) process.kill(Number(readFileSync(pid, 'utf8')), 'SIGKILL');
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const phaseNames = [...new Set([...first.phases, ...second.phases].map(({ phase }) => phase))];
const lines = [
  `make local on this machine (${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}): a copy of the repository with its npm packages and venv linked, no build output, no state, no emulator running; then again with nothing changed.`,
  'Command: npm run bench:local',
  '',
  '| phase (scripts/stack.sh marks) | first run | second run, nothing changed |',
  '| --- | ---: | ---: |',
  ...phaseNames.map((phase) => `| ${phase} | ${seconds(first.phases.find((p) => p.phase === phase)?.ms)} | ${seconds(second.phases.find((p) => p.phase === phase)?.ms)} |`),
  `| **total (make local, wall)** | **${seconds(first.totalMs)}** | **${seconds(second.totalMs)}** |`,
  '',
  `Slowest resources of the first run (Terraform's "Creation complete after"): ${first.slowest.map(({ resource, seconds: s }) => `${resource} ${s} s`).join('; ')}.`,
  `Goal (issue 17): at most 90 s, 60 s hoped for: first run ${first.totalMs <= 90_000 ? 'met' : 'NOT met'}; second run ${second.totalMs <= 90_000 ? 'met' : 'NOT met'}.`,
];
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'local.md'), `${table}\n`);
