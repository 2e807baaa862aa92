// `make local`, the main job, phase by phase: in a copy of the repository whose npm packages and
// venv are installed (linked, as a clone after `make deps`), with no build output, state or emulator,
// then once more with nothing changed (what a developer runs after every change is closer to the
// second). Phases come from scripts/stack.sh's own marks (STACK_TIMINGS=1); the slowest resources
// from Terraform's "Creation complete after" lines.
// Usage: npm run bench:local
//        COMPARE_WITH=<git revision> npm run bench:local   the same runs of that revision, interleaved
import { execFileSync, spawn } from 'node:child_process';
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

/** A fresh directory that `fill` fills (a copy of this tree, or a git revision of it), with the packages and venv linked. */
function workingCopy(fill: (dir: string) => void): string {
  for (const needed of ['node_modules', '.venv']) {
    if (!existsSync(join(root, needed))) throw new Error(`${needed} is missing: this benchmark measures a clone whose packages and venv are installed (make deps)`);
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-local-')), 'repo');
  mkdirSync(dir);
  fill(dir);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(root, '.venv'), join(dir, '.venv'));
  return dir;
}

const thisTree = () => workingCopy((dir) => cpSync(root, dir, { recursive: true, filter: (source) => source === root || !LEFT_OUT.has(basename(source)) }));

/** The repository at `revision` (a commit the repository has), as a fresh clone would check it out. */
function revisionTree(revision: string): string {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${revision}^{commit}`], { encoding: 'utf8' }).trim();
  return workingCopy((dir) => execFileSync('bash', ['-c', `git -C "$0" archive "$1" | tar -x -C "$2"`, root, commit, dir]));
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

interface Subject {
  readonly label: string;
  readonly dir: string;
  readonly port: number;
  first?: Run;
  second?: Run;
}

// COMPARE_WITH=<git revision>: the same two runs of that revision, interleaved with these (this tree's
// first run, the revision's first run, then both second runs), so that both meet the same machine.
const compareWith = process.env.COMPARE_WITH;
const subjects: Subject[] = [{ label: 'this tree', dir: thisTree(), port: await freePort() }];
if (compareWith) {
  let port = await freePort();
  while (port === subjects[0].port) port = await freePort();
  subjects.push({ label: `at ${compareWith}`, dir: revisionTree(compareWith), port });
}
try {
  for (const subject of subjects) subject.first = await makeLocal(subject.dir, subject.port);
  for (const subject of subjects) subject.second = await makeLocal(subject.dir, subject.port);
} finally {
  for (const { dir } of subjects) {
    const pid = join(dir, '.local', 'moto.pid');
    if (existsSync(pid)) process.kill(Number(readFileSync(pid, 'utf8')), 'SIGKILL');
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const phaseTable = ({ label, first, second }: Subject) => {
  const phaseNames = [...new Set([...first!.phases, ...second!.phases].map(({ phase }) => phase))];
  return [
    `| phase (scripts/stack.sh marks), ${label} | first run | second run, nothing changed |`,
    '| --- | ---: | ---: |',
    ...phaseNames.map((phase) => `| ${phase} | ${seconds(first!.phases.find((p) => p.phase === phase)?.ms)} | ${seconds(second!.phases.find((p) => p.phase === phase)?.ms)} |`),
    `| **total (make local, wall)** | **${seconds(first!.totalMs)}** | **${seconds(second!.totalMs)}** |`,
    '',
  ];
};
const [mine, other] = subjects;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const lines = [
  `make local on this machine (${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}): a copy of the repository with its npm packages and venv linked, no build output, no state, no emulator running; then again with nothing changed.`,
  `Command: ${compareWith ? `COMPARE_WITH=${compareWith} ` : ''}npm run bench:local${compareWith ? ' (the two trees run in turn: first runs, then second runs)' : ''}`,
  '',
  ...subjects.flatMap(phaseTable),
  ...(other
    ? [`This tree against ${compareWith}, side by side: first run ${ratio(mine.first!.totalMs, other.first!.totalMs)}, second run ${ratio(mine.second!.totalMs, other.second!.totalMs)}.`, '']
    : []),
  `Slowest resources of the first run (Terraform's "Creation complete after"): ${mine.first!.slowest.map(({ resource, seconds: s }) => `${resource} ${s} s`).join('; ')}.`,
  `Goal (issue 17): at most 90 s, 60 s hoped for: first run ${mine.first!.totalMs <= 90_000 ? 'met' : 'NOT met'}; second run ${mine.second!.totalMs <= 90_000 ? 'met' : 'NOT met'}${mine.second!.totalMs <= 60_000 ? ' (and the 60 s hoped for)' : ''}.`,
];
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'local.md'), `${table}\n`);
