import { S3Backend, type TerraformStack } from 'cdktf';
import type { ProjectSettings } from '../config/schema.js';
import { type LocalEmulator, pointBackendAtEmulator } from './local-emulator.js';

/**
 * Keeps the stack's state under `key` in the project's state bucket, locked with S3's own lock file
 * (Terraform >= 1.11) instead of a DynamoDB table; cdktf's S3Backend has no field for that lock.
 * No `encrypt`: with it and no `kms_key_id`, Terraform writes the state and lock objects with
 * SSE-S3 (AES256) in every PutObject, overriding the bucket's default SSE-KMS; without it S3
 * applies the bucket's default to them (the lifecycle test reads their encryption back).
 */
export function keepStateInBucket(stack: TerraformStack, project: ProjectSettings, key: string, emulator?: LocalEmulator): void {
  const backend = new S3Backend(stack, { bucket: project.stateBucketName, key, region: project.region });
  backend.addOverride('use_lockfile', true);
  if (emulator) pointBackendAtEmulator(backend, emulator);
}
