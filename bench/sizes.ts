// Sizes: the service release (the zip the instances fetch, and what it unpacks to), the Node.js runtime tarballs, and the user data
// against EC2's limit: 16 KB "in raw form, before it is base64-encoded" (EC2 User Guide), and the
// raw form the launch template sends is the gzip of the cloud-config (Terraform's base64gzip).
// Usage: npm run bench:sizes
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { APACHE_BALANCER_MANAGER_PORT, APACHE_PORT, HTTP_PLATFORMS, releaseBundleFile, SERVICE_PORT_BASES, WORKER_MEMORY_MAX_MEGABYTES } from '../constants.js';
import { renderUserData } from '../provisioning/render-user-data.js';
import { prepareRuntime, RUNTIME_ARCHITECTURES } from '../release/node-runtime.js';
import { buildRelease } from '../support/release-process.js';

const root = join(import.meta.dirname, '..');
const USER_DATA_LIMIT = 16_384;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const releaseDir = buildRelease();
const files = readdirSync(releaseDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
const unpacked = files.reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
const bundles = HTTP_PLATFORMS.map((platform) => ({ file: releaseBundleFile(platform), bytes: statSync(join(releaseDir, releaseBundleFile(platform))).size }));
const zipped = statSync(`${releaseDir}.zip`).size;

// The stack's own settings, with names as long as a real deployment's.
const userData = renderUserData({
  region: 'eu-west-1',
  bucketName: 'webapp-prod-artifacts-123456789012',
  objectKey: 'releases/service.zip',
  objectVersionId: 'Vv5XhqRlE4QVjOw9tJb5J5C9kVqFHtQZ',
  releaseId: '0123456789abcdef',
  archiveSha256: 'a'.repeat(64),
  runtime: { objectKey: 'runtimes/node-linux-x64.tgz', objectVersionId: 'v7', sha256: 'b'.repeat(64), version: '24.21.0' },
  portBases: SERVICE_PORT_BASES,
  apachePort: APACHE_PORT,
  balancerManagerPort: APACHE_BALANCER_MANAGER_PORT,
  loadBalancerIdleTimeoutSeconds: 60,
  shutdownTimeoutSeconds: 10,
  trustedProxyCidrs: ['10.10.0.0/20', '10.10.16.0/20', '10.10.32.0/20'],
  workerMemoryMaxMegabytes: WORKER_MEMORY_MAX_MEGABYTES,
});
const raw = Buffer.byteLength(userData);
const gzipped = gzipSync(userData).length;
const encoded = gzipSync(userData).toString('base64').length;

const table = [
  `Sizes (${new Date().toISOString().slice(0, 10)}). Command: npm run bench:sizes`,
  '',
  '| what | size | note |',
  '| --- | ---: | --- |',
  `| release zip (releases/service.zip) | ${kib(zipped)} | what each instance fetches from S3 |`,
  `| release unpacked | ${kib(unpacked)} | ${files.length} files; no node_modules |`,
  ...bundles.map(({ file, bytes }) => `| of which ${file} (the service bundled with one HTTP platform) | ${kib(bytes)} | |`),
  ...RUNTIME_ARCHITECTURES.map((architecture) => {
    const runtime = prepareRuntime(root, architecture);
    return `| Node.js ${runtime.version} runtime tarball, ${architecture} | ${mib(statSync(runtime.archivePath).size)} | the npm registry's package, fetched at boot |`;
  }),
  `| user data, cloud-config text | ${kib(raw)} | cloud-init unpacks the gzip |`,
  `| user data as sent, gzipped | ${kib(gzipped)} | ${((gzipped / USER_DATA_LIMIT) * 100).toFixed(0)}% of EC2's 16 KB limit (before base64) |`,
  `| the same, base64-encoded | ${kib(encoded)} | |`,
].join('\n');
process.stdout.write(`${table}\n`);
writeFileSync(join(root, 'bench', 'results', 'sizes.md'), `${table}\n`);
