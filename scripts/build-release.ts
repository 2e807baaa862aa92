// Builds the service release: one bundled ES module per HTTP platform and the entry point that picks
// one (server.mjs), which run on plain `node` (no node_modules),
// the static assets, and manifest.json with the release id and the sha256 of every file.
// It also writes <outDir>.zip, the archive shipped to S3, with fixed timestamps so that the same
// release gives the same bytes (and checksum) on every machine and clone.
// A release already in outDir with this release id, every file as its manifest says and its archive
// beside it, is kept as it is (every synth runs this; `--force` builds anyway).
// Usage: tsx scripts/build-release.ts [outDir] [--force]   (default dist/release, archive dist/release.zip)
// RELEASE_MINIFY=false keeps the bundle readable, for a CPU profile's frames (bench/profile-worker.ts); never shipped.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { transform } from '@swc/core';
import { build, type Plugin } from 'esbuild';
import { zipSync } from 'fflate';
import { HTTP_PLATFORMS, NODE_RUNTIME, RELEASE_ENTRY_FILE, RELEASE_LICENSES_FILE, RELEASE_MANIFEST_FILE, releaseBundleFile } from '../constants.js';
import { builtinsThroughRequire, lazyNestTimestampFormatters, leftOutOfFastify, noDefaultNestAdapter, onePlatform, releaseEntrySource } from '../release/bundle-plugins.js';
import type { ReleaseManifest } from '../service/version/release-manifest.js';

const root = join(import.meta.dirname, '..');
const outDir = process.argv.slice(2).find((argument) => !argument.startsWith('--')) ?? join(root, 'dist', 'release');
const minify = process.env.RELEASE_MINIFY !== 'false';
/** Fixed timestamp for every archive entry (the earliest a zip file can hold). */
const ARCHIVE_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** Everything the release is built from; its content hash is the release id. */
const inputs = ['service', 'constants.ts', 'package-lock.json', '.swcrc.json', 'scripts/build-release.ts', 'release/bundle-plugins.ts'];

// Nest loads these only when an app asks for them; this service never does.
const optionalPackages = [
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@fastify/multipart',
  '@fastify/view',
  'class-transformer',
  'class-validator',
];

function listFiles(path: string): string[] {
  const entries = readdirSync(path, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function hashTree(files: string[], base: string): Record<string, string> {
  const sorted = files.map((file) => relative(base, file).split('\\').join('/')).sort();
  return Object.fromEntries(sorted.map((file) => [file, sha256(join(base, file))]));
}

function lastCommitTouching(paths: string[]): string | null {
  try {
    const commit = execFileSync('git', ['log', '-1', '--format=%H', '--', ...paths], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return commit.trim() || null;
  } catch {
    return null;
  }
}

/**
 * esbuild does not emit decorator metadata, which Nest's injection needs: swc compiles the TypeScript.
 * One instance serves both platform bundles, so each file is compiled once.
 */
function swcTypeScript(): Plugin {
  const { sourceMaps: _ignored, ...options } = JSON.parse(readFileSync(join(root, '.swcrc.json'), 'utf8'));
  const compiled = new Map<string, Promise<string>>();
  const compile = (path: string) => transform(readFileSync(path, 'utf8'), { ...options, filename: path, swcrc: false }).then(({ code }) => code);
  return {
    name: 'swc-typescript',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (!compiled.has(path)) compiled.set(path, compile(path));
        return { contents: await compiled.get(path)!, loader: 'js' };
      });
    },
  };
}

/**
 * The licence texts of every package the bundle takes code from, one after another (esbuild's
 * legal-comments file keeps only banner comments). A package without a licence file gets its
 * package.json `license` field, so that nothing bundled goes unnamed.
 */
function bundledLicenses(bundledFiles: string[]): string {
  const packageDirs = new Set<string>();
  for (const file of bundledFiles) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) packageDirs.add(match[1]);
  }
  const sections = [...packageDirs].sort().map((dir) => {
    const { name, version, license } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(join(root, dir)).find((entry) => /^(licen[cs]e|copying)(\.|$)/i.test(entry));
    const text = licenseFile ? readFileSync(join(root, dir, licenseFile), 'utf8').trim() : `(no licence file in the package; package.json says: ${license ?? 'nothing'})`;
    return `${name}@${version} (${license ?? 'no license field'})\n\n${text}\n`;
  });
  return `Third-party software bundled into ${HTTP_PLATFORMS.map(releaseBundleFile).join(' and ')}: ${sections.length} packages.\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`;
}

const inputFiles = inputs.flatMap((input) => (input.includes('.') ? [join(root, input)] : listFiles(join(root, input))));
const inputHashes = hashTree(inputFiles, root);
// An unminified build (a profile's) is another release: it must never pass for the shipped one.
const releaseId = createHash('sha256')
  .update(JSON.stringify(inputHashes) + (minify ? '' : '\nunminified'))
  .digest('hex')
  .slice(0, 16);

const commit = lastCommitTouching(inputs);

/**
 * The release in outDir is this one, whole: its manifest names this id and the commit /version
 * reports (the same inputs, committed since, are that commit's release), every file matches it, and
 * the archive is there.
 */
function upToDate(): boolean {
  if (process.argv.includes('--force') || !existsSync(`${outDir}.zip`)) return false;
  try {
    const manifest = JSON.parse(readFileSync(join(outDir, RELEASE_MANIFEST_FILE), 'utf8')) as ReleaseManifest;
    const files = hashTree(listFiles(outDir).filter((file) => relative(outDir, file) !== RELEASE_MANIFEST_FILE), outDir);
    return manifest.releaseId === releaseId && manifest.commit === commit && JSON.stringify(files) === JSON.stringify(manifest.files);
  } catch {
    return false;
  }
}
if (upToDate()) {
  console.log(`release ${releaseId} -> ${relative(process.cwd(), outDir) || '.'}: up to date`);
  process.exit(0);
}

rmSync(outDir, { recursive: true, force: true });
rmSync(`${outDir}.zip`, { force: true });
// One bundle per HTTP platform (see onePlatform), and the small entry point that picks one.
// Both at once: esbuild and swc work on other threads while the other bundle waits on them.
const typeScript = swcTypeScript();
const metafiles = await Promise.all(
  HTTP_PLATFORMS.map(async (platform) => {
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: { [releaseBundleFile(platform).replace(/\.mjs$/, '')]: 'service/main.ts' },
      outExtension: { '.js': '.mjs' },
      outdir: outDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // The runtime instances run it on (NODE_RUNTIME); the manifest says so and instances check it.
      target: `node${NODE_RUNTIME.version.split('.')[0]}`,
      metafile: true,
      minify,
      keepNames: true, // Nest names providers and log contexts after classes
      legalComments: 'external',
      external: optionalPackages,
      // Bundled CommonJS packages (fastify) call require() for Node's built-ins.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      plugins: [onePlatform(platform), builtinsThroughRequire(), noDefaultNestAdapter(), lazyNestTimestampFormatters(), leftOutOfFastify(), typeScript],
      logLevel: 'warning',
    });
    return metafile;
  }),
);
const bundledInputs = new Set(metafiles.flatMap((metafile) => Object.keys(metafile.inputs)));
writeFileSync(join(outDir, RELEASE_ENTRY_FILE), releaseEntrySource());
cpSync(join(root, 'service', 'public'), join(outDir, 'public'), { recursive: true });
writeFileSync(join(outDir, RELEASE_LICENSES_FILE), bundledLicenses([...bundledInputs]));

const manifest: ReleaseManifest = {
  releaseId,
  commit,
  minimumNodeVersion: NODE_RUNTIME.version,
  files: hashTree(listFiles(outDir), outDir),
};
writeFileSync(join(outDir, RELEASE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

// cdktf's TerraformAsset would zip with each file's mtime, so the archive is made here instead.
const archivedFiles = [...Object.keys(manifest.files), RELEASE_MANIFEST_FILE].sort();
const archive = zipSync(
  Object.fromEntries(archivedFiles.map((file) => [file, [readFileSync(join(outDir, file)), { mtime: ARCHIVE_MTIME, level: 9 }]])),
);
const archivePath = `${outDir}.zip`;
writeFileSync(archivePath, archive);

const bytes = archivedFiles.reduce((sum, file) => sum + readFileSync(join(outDir, file)).length, 0);
console.log(
  `release ${releaseId} -> ${relative(process.cwd(), outDir) || '.'} (${archivedFiles.length} files, ${(bytes / 1024).toFixed(0)} KiB; ` +
    `${relative(process.cwd(), archivePath)} ${(archive.length / 1024).toFixed(0)} KiB)`,
);
