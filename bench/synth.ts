// Synth speed and memory: our path (the app bundled by scripts/build-synth.mjs into one JavaScript
// file, provider modules imported by their deep paths; no type check at synth) against the way the
// cdktf project template does it (ts-node, type-checking every file as it loads,
// `@cdktf/provider-aws` imported from its package root), on the same three stacks. Also our app with
// its bundle rebuilt (after an edit), the same app under tsx, the `cdktf synth` command's own
// start-up cost, and the unit + snapshot suite's wall time.
// Median of RUNS runs each (default 5), interleaved; wall time and peak RSS from GNU time.
// Usage: npm run bench:synth
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const runs = Number(process.env.RUNS ?? 5);
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Rewrites `import { A, type B } from '@cdktf/provider-aws/lib/<module>/index.js'` to the package-root import. */
function toRootImports(source: string): string {
  let count = 0;
  return source.replace(/^import (type )?\{([^}]*)\} from '@cdktf\/provider-aws\/lib\/([a-z0-9-]+)\/index\.js';$/gm, (_match, _typeOnly: string | undefined, names: string, module: string) => {
    const namespace = module.replace(/-([a-z0-9])/g, (_dash, letter: string) => letter.toUpperCase());
    const alias = `__aws${count++}`;
    const aliases = names
      .split(',')
      .map((name) => name.trim().replace(/^type /, ''))
      .filter(Boolean)
      .map((name) => {
        const [imported, local = imported] = name.split(/\s+as\s+/);
        return `import ${local} = ${alias}.${imported};`;
      });
    return [`import { ${namespace} as ${alias} } from '@cdktf/provider-aws';`, ...aliases].join('\n');
  });
}

/** A copy of the repository whose TypeScript imports the provider from its root, run by ts-node. */
function templateWayCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'synth-template-way-')), 'repo');
  const leftOut = new Set(['.git', 'node_modules', 'dist', '.venv', 'cdktf.out', 'cdktf.local.out', '.local', '__tests__', 'bench']);
  cpSync(root, dir, { recursive: true, filter: (source) => source === root || !leftOut.has(basename(source)) });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const rewrite = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) {
        if (!['node_modules', 'dist', 'service'].includes(entry)) rewrite(full);
      } else if (entry.endsWith('.ts')) {
        writeFileSync(full, toRootImports(readFileSync(full, 'utf8')));
      }
    }
  };
  rewrite(dir);
  // The template's compiler settings: type-check everything ts-node loads (no isolatedModules, which `import =` aliases need off).
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.isolatedModules = false;
  tsconfig.include = ['main.ts', 'config/**/*.ts', 'common/**/*.ts', 'stacks/**/*.ts', 'constructs/**/*.ts', 'provisioning/**/*.ts', 'release/**/*.ts', 'service/version/**/*.ts'];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return dir;
}

interface Sample {
  seconds: number;
  megabytes: number;
}

/** Runs a command under GNU time; fails loudly if it fails. */
function measure(command: string[], cwd: string, env: NodeJS.ProcessEnv): Sample {
  const outDir = mkdtempSync(join(tmpdir(), 'synth-out-'));
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], {
    cwd,
    env: { ...process.env, ENV: '', LOCAL_AWS_ENDPOINT: '', CDKTF_OUTDIR: outDir, CHECKPOINT_DISABLE: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !/^\d+(\.\d+)? \d+$/.test(last)) throw new Error(`${command.join(' ')} failed (${run.status}):\n${run.stderr.slice(-3000)}`);
  const [seconds, kilobytes] = last.split(' ').map(Number);
  return { seconds, megabytes: kilobytes / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

execFileSync(bin('tsx'), [join(root, 'scripts', 'build-release.ts')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync(bin('tsx'), [join(root, 'scripts', 'build-runtime.ts')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync(process.execPath, [join(root, 'scripts', 'build-synth.mjs')], { cwd: root, stdio: 'inherit' });
const template = templateWayCopy();
// The same built release and checked runtimes (a copy would change the runtimes' mtimes, which their check stamps record).
symlinkSync(join(root, 'dist'), join(template, 'dist'));

const node = process.execPath;
const subjects: Array<{ name: string; command: string[]; cwd: string; env?: NodeJS.ProcessEnv }> = [
  { name: 'ours: node dist/synth/main.mjs (bundle up to date)', command: [node, 'dist/synth/main.mjs'], cwd: root },
  {
    name: 'template way: ts-node main.ts (type-checked, root import)',
    command: [node, '--no-warnings', '--loader', 'ts-node/esm', 'main.ts'],
    cwd: template,
    env: { TS_NODE_PROJECT: join(template, 'tsconfig.json') },
  },
  { name: 'ours after an edit: bundle rebuilt, then run', command: ['sh', '-c', `"${node}" scripts/build-synth.mjs --force && "${node}" dist/synth/main.mjs`], cwd: root },
  { name: 'the same sources under tsx main.ts (no bundle)', command: [bin('tsx'), 'main.ts'], cwd: root },
  { name: 'cdktf synth --app "node dist/synth/main.mjs" (the CLI around ours)', command: [bin('cdktf'), 'synth', '--app', `${node} dist/synth/main.mjs`, '--output', join(tmpdir(), 'synth-cli-out')], cwd: root },
];
const samples = new Map(subjects.map((subject) => [subject.name, [] as Sample[]]));
for (let run = 0; run < runs; run++) {
  for (const subject of subjects) samples.get(subject.name)!.push(measure(subject.command, subject.cwd, subject.env ?? {}));
}
const suite = measure(['npm', 'run', 'test:unit', '--silent'], root, {});

const figures = subjects.map((subject) => {
  const list = samples.get(subject.name)!;
  return { name: subject.name, seconds: median(list.map((s) => s.seconds)), megabytes: median(list.map((s) => s.megabytes)) };
});
const [ours, templateWay, , , cli] = figures;
const rows = [
  `Synth of the three stacks (state-backend, webapp-dev, webapp-prod); median of ${runs} interleaved runs; ${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  'Command: npm run bench:synth',
  '',
  '| subject | wall s | peak RSS MB | vs template way (time) | vs template way (memory) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...figures.map((f) => `| ${f.name} | ${f.seconds.toFixed(2)} | ${Math.round(f.megabytes)} | ${(templateWay.seconds / f.seconds).toFixed(1)}x faster | ${(f.megabytes / templateWay.megabytes).toFixed(2)} of it |`),
  '',
  `The cdktf CLI's own cost around our app: ${(cli.seconds - ours.seconds).toFixed(2)} s (its wall time minus the app's).`,
  `Unit + snapshot suite (npm run test:unit): ${suite.seconds.toFixed(1)} s wall, ${Math.round(suite.megabytes)} MB peak.`,
];
const table = rows.join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'synth.md'), `${table}\n`);
