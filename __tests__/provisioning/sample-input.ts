import type { UserDataInput } from '../../provisioning/render-user-data.js';

/** A fixed user data input, for render tests and snapshots. */
export const SAMPLE_INPUT: UserDataInput = {
  region: 'eu-west-1',
  bucketName: 'webapp-dev-artifacts-123',
  objectKey: 'releases/service.zip',
  objectVersionId: 'v1',
  releaseId: '0123456789abcdef',
  archiveSha256: 'a'.repeat(64),
  runtime: { objectKey: 'runtimes/node-linux-x64.tgz', objectVersionId: 'v7', sha256: 'b'.repeat(64), version: '24.21.0' },
  portBases: { a: 3000, b: 3200 },
  apachePort: 80,
  balancerManagerPort: 81,
  loadBalancerIdleTimeoutSeconds: 60,
  shutdownTimeoutSeconds: 10,
  trustedProxyCidrs: ['10.10.0.0/20', '10.10.16.0/20'],
  workerMemoryMaxMegabytes: 512,
};
