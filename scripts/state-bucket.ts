// Looks at the Terraform state bucket for scripts/stack.sh, from any clone and any machine.
// Usage: tsx scripts/state-bucket.ts bootstrap-status
//          prints `absent` (no bucket: create it, then move the bootstrap's state into it),
//          `adopt` (the bucket is ours but holds no bootstrap state: import it), or `managed`
//        tsx scripts/state-bucket.ts lock-check <state key>
//          exits 5, saying who holds the lock since when and how to clear it, when the key is locked
// (LOCAL_AWS_ENDPOINT points it at the emulator, as everything in local mode.)
import { join } from 'node:path';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../common/config-error.js';
import { describeLock, parseLockInfo } from '../release/state-lock.js';
import { readEmulatorEndpoint } from '../stacks/local-emulator.js';
import { BOOTSTRAP_STATE_KEY } from '../stacks/state-backend-stack.js';

const statusOf = (error: unknown) => (error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined);

try {
  const { project } = loadConfig(join(import.meta.dirname, '..', 'config'), process.env.ENV || undefined);
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  const s3 = new S3Client(emulator ? { region: project.region, endpoint: emulator.endpoint, forcePathStyle: true } : { region: project.region });
  const bucket = project.stateBucketName;
  const [command, key] = process.argv.slice(2);

  if (command === 'bootstrap-status') {
    const bucketStatus = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(() => 200, statusOf);
    if (bucketStatus === 404) {
      process.stdout.write('absent\n');
    } else if (bucketStatus === 200) {
      const stateStatus = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: BOOTSTRAP_STATE_KEY(project.project) })).then(() => 200, statusOf);
      if (stateStatus !== 200 && stateStatus !== 404) throw new Error(`cannot read s3://${bucket}/${BOOTSTRAP_STATE_KEY(project.project)} (HTTP ${stateStatus})`);
      process.stdout.write(stateStatus === 200 ? 'managed\n' : 'adopt\n');
    } else {
      process.stderr.write(
        `config/project.json: stateBucketName = "${bucket}": the bucket exists but these credentials cannot use it (HTTP ${bucketStatus}); ` +
          'bucket names are global, so another account may own it: choose another name\n',
      );
      process.exit(1);
    }
  } else if (command === 'lock-check' && key) {
    const lock = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.tflock` })).then(
      async (object) => object.Body!.transformToString(),
      (error) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      },
    );
    if (lock !== undefined) {
      process.stderr.write(`${describeLock(parseLockInfo(lock), `s3://${bucket}/${key}`, process.env.ENV || 'dev')}\n`);
      process.exit(5);
    }
  } else {
    process.stderr.write('usage: tsx scripts/state-bucket.ts bootstrap-status | lock-check <state key>\n');
    process.exit(2);
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
