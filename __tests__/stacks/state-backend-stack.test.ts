import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { StateBackendStack } from '../../stacks/state-backend-stack.js';
import { onlyResource } from '../synth.js';

describe('StateBackendStack', () => {
  const app = Testing.app();
  const stack = new StateBackendStack(app, 'state-backend', { project: { project: 'webapp', region: 'eu-west-1', stateBucketName: 'webapp-state' } });
  const synthesized = JSON.parse(Testing.synth(stack));

  test('keeps its own state locally', () => {
    expect(synthesized.terraform.backend).toBeUndefined();
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
