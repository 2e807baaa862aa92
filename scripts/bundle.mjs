// What scripts/build-synth.mjs and scripts/build-commands.mjs share: an esbuild bundle of TypeScript
// entry points into plain JavaScript, rebuilt only when one of its inputs (or package-lock.json, or
// the build script) is newer than it. Each of our files keeps its own location in the bundle:
// `import.meta.url` and `import.meta.dirname` are replaced by the source file's, so files read next
// to the sources (the provisioning files, the config directory) are found as before.
// Plain JavaScript on purpose: it runs before every synth and every stack command, and a TypeScript
// loader would cost what it saves.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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

function upToDate(outputs, metafile, buildScript) {
  if (process.argv.includes('--force') || !existsSync(metafile) || !outputs.every((output) => existsSync(output))) return false;
  const builtAt = Math.min(...outputs.map((output) => statSync(output).mtimeMs));
  const inputs = Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs).map((input) => join(root, input));
  return [...inputs, join(root, 'package-lock.json'), fileURLToPath(import.meta.url), buildScript].every((input) => existsSync(input) && statSync(input).mtimeMs <= builtAt);
}

/**
 * Bundles `entries` (output path relative to the root -> TypeScript entry point relative to the
 * root) unless the bundle is up to date; `buildScript` is the caller's file, an input like the others.
 */
export async function bundle({ entries, metafile, buildScript }) {
  const outputs = Object.keys(entries).map((output) => join(root, output));
  if (upToDate(outputs, join(root, metafile), buildScript)) return;
  const { build } = await import('esbuild'); // only when building: the up-to-date check stays cheap
  const result = await build({
    entryPoints: Object.entries(entries).map(([output, input]) => ({ in: join(root, input), out: join(root, output).replace(/\.mjs$/, '') })),
    outdir: root,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The floor of the Node.js a developer's machine may run these with (the Makefile runs the pinned 24).
    target: 'node20',
    // The CommonJS packages inside (cdktf, constructs, the provider, parts of the AWS SDK) call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
    plugins: [keepSourceLocations],
  });
  writeFileSync(join(root, metafile), JSON.stringify(result.metafile));
}
