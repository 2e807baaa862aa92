import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { type BootstrapMode, StateBackendStack } from '../../stacks/state-backend-stack.js';
import { onlyResource } from '../synth.js';

const project = { project: 'webapp', region: 'eu-west-1', stateBucketName: 'webapp-state' };
const synth = (mode?: BootstrapMode) => JSON.parse(Testing.synth(new StateBackendStack(Testing.app(), 'state-backend', { project, mode })));

describe('StateBackendStack', () => {
  const synthesized = synth();

  test('keeps its own state in the bucket it makes, so that any clone finds it', () => {
    expect(synthesized.terraform.backend).toEqual({
      s3: { bucket: 'webapp-state', key: 'webapp/state-backend/terraform.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
    expect(synthesized.import).toBeUndefined();
  });

  test('the first bootstrap starts with a local state file, moved into the bucket right after', () => {
    expect(synth('create').terraform.backend).toEqual({ local: { path: '../../../.local/state-backend.first.tfstate' } });
  });

  test('takes over an existing bucket that has no bootstrap state: an import block for the bucket and each of its settings', () => {
    const adopted = synth('adopt');
    expect(adopted.terraform.backend.s3.key).toBe('webapp/state-backend/terraform.tfstate');
    const imported = (adopted.import as Array<{ to: string; id: string }>).map((block) => [block.to.split('.')[0], block.id]);
    expect(imported.sort()).toEqual(
      [
        'aws_s3_bucket',
        'aws_s3_bucket_lifecycle_configuration',
        'aws_s3_bucket_ownership_controls',
        'aws_s3_bucket_policy',
        'aws_s3_bucket_public_access_block',
        'aws_s3_bucket_server_side_encryption_configuration',
        'aws_s3_bucket_versioning',
      ].map((type) => [type, 'webapp-state']),
    );
  });

  test('creates the named state bucket, refusing destroy', () => {
    expect(onlyResource(synthesized, 'aws_s3_bucket')).toEqual({ bucket: 'webapp-state', force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(onlyResource(synthesized, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
  });

  test('expires noncurrent versions, which lock files leave behind', () => {
    expect(onlyResource(synthesized, 'aws_s3_bucket_lifecycle_configuration').rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
  });

  test('matches the snapshot', () => {
    expect(synthesized).toMatchSnapshot();
  });
});
