import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { RELEASE_ENTRY_FILE, RELEASE_MANIFEST_FILE } from '../constants.js';

const root = join(import.meta.dirname, '..');

/** Builds the release, as `npm run build:service` does, into a fresh directory outside the repository. */
export function buildRelease(env: NodeJS.ProcessEnv = {}): string {
  const outDir = join(mkdtempSync(join(tmpdir(), 'webapp-release-')), 'release');
  execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'build-release.ts'), outDir], { cwd: root, stdio: 'pipe', env: { ...process.env, ...env } });
  return outDir;
}

export interface RunningRelease {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: () => Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

/** Starts `node <release>/server.mjs` on a free port and resolves once it logs that it listens. */
export function startRelease(releaseDir: string, env: NodeJS.ProcessEnv = {}): Promise<RunningRelease> {
  const child = spawn(process.execPath, [join(releaseDir, RELEASE_ENTRY_FILE)], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, PORT: '0', IMDS_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () =>
    output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const listening = lines().find((line) => (line.message as { event?: string })?.event === 'listening');
      if (listening) resolve({ child, port: (listening.message as { port: number }).port, lines, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`release exited with ${code} before listening:\n${output.join('')}`)));
  });
}

/**
 * A second, different release made from a built one: the stylesheet gains a comment, the manifest
 * gets a new release id and checksums, and the archive is zipped again. For tests that switch releases.
 */
export function variantRelease(releaseDir: string, marker: string): { dir: string; archivePath: string; releaseId: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'webapp-variant-')), 'release');
  cpSync(releaseDir, dir, { recursive: true });
  appendFileSync(join(dir, 'public', 'site.css'), `/* ${marker} */\n`);
  const manifest = JSON.parse(readFileSync(join(dir, RELEASE_MANIFEST_FILE), 'utf8'));
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(join(dir, path))).digest('hex');
  manifest.files = Object.fromEntries(Object.keys(manifest.files).map((file) => [file, sha256(file)]));
  manifest.releaseId = createHash('sha256').update(`${manifest.releaseId}${marker}`).digest('hex').slice(0, 16);
  writeFileSync(join(dir, RELEASE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = [...Object.keys(manifest.files), RELEASE_MANIFEST_FILE].sort();
  const archivePath = `${dir}.zip`;
  writeFileSync(archivePath, zipSync(Object.fromEntries(files.map((file) => [file, [readFileSync(join(dir, file)), { mtime: new Date(1980, 0, 1) }]]))));
  return { dir, archivePath, releaseId: manifest.releaseId };
}
