// Bundles the synth app (main.ts, our constructs and stacks, cdktf and the provider modules they
// use) into one file, dist/synth/main.mjs, with esbuild, so that `cdktf synth` runs plain JavaScript
// from one file: no TypeScript loader and no resolution of hundreds of modules at synth time (tsc
// type-checks in `npm test`). Each of our files keeps its own location: `import.meta.url` and
// `import.meta.dirname` are replaced by the source file's, so files read next to the sources (the
// provisioning files, the config directory) are found as before. The bundle is rebuilt only when one
// of its inputs (or package-lock.json, or this script) is newer than it.
// Plain JavaScript on purpose: it runs on every synth, and a TypeScript loader would cost what it saves.
// Usage: node scripts/build-synth.mjs [--force]
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'synth', 'main.mjs');
const metafile = join(root, 'dist', 'synth', 'meta.json');

function upToDate() {
  if (process.argv.includes('--force') || !existsSync(outfile) || !existsSync(metafile)) return false;
  const builtAt = statSync(outfile).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs).map((input) => join(root, input));
  return [...inputs, join(root, 'package-lock.json'), fileURLToPath(import.meta.url)].every((input) => existsSync(input) && statSync(input).mtimeMs <= builtAt);
}

/** @type {import('esbuild').Plugin} */
const keepSourceLocations = {
  name: 'keep-source-locations',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const contents = source
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(path)))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href));
      return { contents, loader: 'ts' };
    });
  },
};

if (!upToDate()) {
  const { build } = await import('esbuild'); // only when building: the up-to-date check stays cheap
  const result = await build({
    entryPoints: [join(root, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The CommonJS packages inside (cdktf, constructs, the provider) call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
    plugins: [keepSourceLocations],
  });
  writeFileSync(metafile, JSON.stringify(result.metafile));
}
