// Bundles the TypeScript commands scripts/stack.sh runs (the state bucket's checks, the release step,
// the plan review, status, console logs, the emulator's hosted zone) into dist/commands/<name>.mjs
// with esbuild (scripts/bundle.mjs): plain `node` starts each in about half a second where tsx took
// two (it compiled the TypeScript and resolved the AWS SDK's hundreds of modules on every call).
// Rebuilt only when one of their inputs changed; stack.sh runs this first.
// Usage: node scripts/build-commands.mjs [--force]
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

export const COMMANDS = ['state-bucket', 'release', 'plan-review', 'status', 'console-logs', 'emulator-hosted-zone'];

await bundle({
  entries: Object.fromEntries(COMMANDS.map((name) => [`dist/commands/${name}.mjs`, `scripts/${name}.ts`])),
  metafile: 'dist/commands/meta.json',
  buildScript: fileURLToPath(import.meta.url),
});
