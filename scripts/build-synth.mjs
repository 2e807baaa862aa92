// Bundles the synth app (main.ts, our constructs and stacks, cdktf and the provider modules they
// use) into one file, dist/synth/main.mjs, with esbuild (scripts/bundle.mjs), so that `cdktf synth`
// runs plain JavaScript from one file: no TypeScript loader and no resolution of hundreds of modules
// at synth time (tsc type-checks in `npm test`). Rebuilt only when one of its inputs changed.
// Usage: node scripts/build-synth.mjs [--force]
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

await bundle({ entries: { 'dist/synth/main.mjs': 'main.ts' }, metafile: 'dist/synth/meta.json', buildScript: fileURLToPath(import.meta.url) });
