import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { RELEASE_ENTRY_FILE, RELEASE_MANIFEST_FILE } from '../constants.js';
import { pinnedNodeBinary } from '../release/node-runtime.js';

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
  const child = spawn(pinnedNodeBinary(root), [join(releaseDir, RELEASE_ENTRY_FILE)], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, PORT: '0', IMDS_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Each complete line is parsed once, as it arrives: re-reading all output on every chunk made the
  // process driving the load spend its CPU here (quadratic in the number of access-log lines).
  const raw: string[] = [];
  const parsed: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => parsed;
  return new Promise((resolve, reject) => {
    let listening = false;
    const follow = (stream: NodeJS.ReadableStream) => {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString();
        if (!listening) raw.push(chunk.toString());
        const complete = text.split('\n');
        partial = complete.pop() ?? '';
        for (const line of complete) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          parsed.push(entry);
          const message = entry.message as { event?: string; port?: number } | undefined;
          if (!listening && message?.event === 'listening') {
            listening = true;
            resolve({ child, port: message.port!, lines, exited });
          }
        }
      });
    };
    follow(child.stdout!);
    follow(child.stderr!);
    void exited.then((code) => reject(new Error(`release exited with ${code} before listening:\n${raw.join('')}`)));
  });
}

/**
 * A second, different release made from a built one: the stylesheet gains a comment (and, with
 * `broken`, the entry point exits at once), the manifest gets a new release id and checksums, and
 * the archive is zipped again. For tests that switch releases. `minimumNodeVersion` replaces the
 * manifest's, as a release built for a newer runtime would have it.
 */
export function variantRelease(
  releaseDir: string,
  marker: string,
  options: { broken?: boolean; minimumNodeVersion?: string } = {},
): { dir: string; archivePath: string; releaseId: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'webapp-variant-')), 'release');
  cpSync(releaseDir, dir, { recursive: true });
  appendFileSync(join(dir, 'public', 'site.css'), `/* ${marker} */\n`);
  if (options.broken) writeFileSync(join(dir, RELEASE_ENTRY_FILE), 'process.exit(1);\n');
  const manifest = JSON.parse(readFileSync(join(dir, RELEASE_MANIFEST_FILE), 'utf8'));
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(join(dir, path))).digest('hex');
  manifest.files = Object.fromEntries(Object.keys(manifest.files).map((file) => [file, sha256(file)]));
  if (options.minimumNodeVersion) manifest.minimumNodeVersion = options.minimumNodeVersion;
  manifest.releaseId = createHash('sha256').update(`${manifest.releaseId}${marker}`).digest('hex').slice(0, 16);
  writeFileSync(join(dir, RELEASE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = [...Object.keys(manifest.files), RELEASE_MANIFEST_FILE].sort();
  const archivePath = `${dir}.zip`;
  writeFileSync(archivePath, zipSync(Object.fromEntries(files.map((file) => [file, [readFileSync(join(dir, file)), { mtime: new Date(1980, 0, 1) }]]))));
  return { dir, archivePath, releaseId: manifest.releaseId };
}
