import { S3Backend, type TerraformStack } from 'cdktf';
import type { ProjectSettings } from '../config/schema.js';
import { type LocalEmulator, pointBackendAtEmulator } from './local-emulator.js';

/**
 * Keeps the stack's state under `key` in the project's state bucket, locked with S3's own lock file
 * (Terraform >= 1.11) instead of a DynamoDB table; cdktf's S3Backend has no field for that lock.
 */
export function keepStateInBucket(stack: TerraformStack, project: ProjectSettings, key: string, emulator?: LocalEmulator): void {
  const backend = new S3Backend(stack, { bucket: project.stateBucketName, key, region: project.region, encrypt: true });
  backend.addOverride('use_lockfile', true);
  if (emulator) pointBackendAtEmulator(backend, emulator);
}
