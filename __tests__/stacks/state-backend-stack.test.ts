import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { type BootstrapMode, STATE_GUARDED_ACTIONS, StateBackendStack } from '../../stacks/state-backend-stack.js';
import { dataOf, onlyResource, resourcesOf } from '../synth.js';

const project = { project: 'webapp', region: 'eu-west-1', stateBucketName: 'webapp-state' };
const synth = (mode?: BootstrapMode, emulator?: { endpoint: string }) => JSON.parse(Testing.synth(new StateBackendStack(Testing.app(), 'state-backend', { project, mode, emulator })));

describe('StateBackendStack', () => {
  const synthesized = synth();

  test('keeps its own state in the bucket it makes, so that any clone finds it', () => {
    expect(synthesized.terraform.backend).toEqual({
      s3: { bucket: 'webapp-state', key: 'webapp/state-backend/terraform.tfstate', region: 'eu-west-1', use_lockfile: true },
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

  test('nobody but the root user, by default, may delete state versions or change what keeps them', () => {
    // Amazon S3 User Guide, "Bucket policies" (the root user can always remove a policy that locks
    // everyone out); IAM, "aws:PrincipalArn" (a role session's is its role's ARN).
    const guard = Object.values(dataOf(synthesized, 'aws_iam_policy_document'))
      .flatMap((document: { statement: Array<{ sid: string }> }) => document.statement)
      .find((statement) => statement.sid === 'OnlyBreakGlassRewritesHistory');
    expect(guard).toEqual({
      sid: 'OnlyBreakGlassRewritesHistory',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: STATE_GUARDED_ACTIONS,
      resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.StateBucket_\w+\.arn\}$/), expect.stringMatching(/^\$\{aws_s3_bucket\.StateBucket_\w+\.arn\}\/\*$/)],
      condition: [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::\$\{data\.aws_caller_identity\.\w+\.account_id\}:root$/)] }],
    });
    // Deleting versions, the policy, versioning, lifecycle and the bucket; never the state's own writes.
    expect(STATE_GUARDED_ACTIONS).toEqual(expect.arrayContaining(['s3:DeleteObjectVersion', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration']));
    expect(STATE_GUARDED_ACTIONS.filter((action) => ['s3:PutObject', 's3:DeleteObject', 's3:GetObject'].includes(action))).toEqual([]);
    // So the policy lands after the versioning and lifecycle it guards: put first, it would refuse their creation.
    expect(onlyResource(synthesized, 'aws_s3_bucket_policy').depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_public_access_block\./),
      expect.stringMatching(/^aws_s3_bucket_versioning\./),
      expect.stringMatching(/^aws_s3_bucket_lifecycle_configuration\./),
    ]);
  });

  test('the named break-glass principals instead, when the project names them', () => {
    const breakGlass = ['arn:aws:iam::123456789012:role/state-break-glass'];
    const named = JSON.parse(Testing.synth(new StateBackendStack(Testing.app(), 'state-backend', { project: { ...project, stateBreakGlassPrincipalArns: breakGlass } })));
    const guard = Object.values(dataOf(named, 'aws_iam_policy_document'))
      .flatMap((document: { statement: Array<{ sid: string; condition?: unknown }> }) => document.statement)
      .find((statement) => statement.sid === 'OnlyBreakGlassRewritesHistory');
    expect(guard?.condition).toEqual([{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: breakGlass }]);
    expect(dataOf(named, 'aws_caller_identity')).toEqual({});
  });

  test('creates the named state bucket, refusing destroy', () => {
    expect(onlyResource(synthesized, 'aws_s3_bucket')).toEqual({ bucket: 'webapp-state', force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(onlyResource(synthesized, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
  });

  test('expires noncurrent versions, which lock files leave behind', () => {
    expect(onlyResource(synthesized, 'aws_s3_bucket_lifecycle_configuration').rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
  });

  test('in local mode, the same lifecycle rule inline on the bucket: the provider waits 55 s after a lifecycle configuration, whatever the emulator answers', () => {
    const emulator = { endpoint: 'http://127.0.0.1:4566' };
    for (const mode of [undefined, 'create'] as const) {
      const local = synth(mode, emulator);
      expect(resourcesOf(local, 'aws_s3_bucket_lifecycle_configuration')).toEqual({});
      const [configured] = onlyResource(synthesized, 'aws_s3_bucket_lifecycle_configuration').rule;
      // The rule AWS would get from the lifecycle configuration, in the inline block's words
      expect(onlyResource(local, 'aws_s3_bucket').lifecycle_rule).toEqual([
        {
          id: configured.id,
          enabled: true,
          prefix: configured.filter[0].prefix,
          noncurrent_version_expiration: { days: configured.noncurrent_version_expiration[0].noncurrent_days },
          abort_incomplete_multipart_upload_days: configured.abort_incomplete_multipart_upload[0].days_after_initiation,
          expiration: { expired_object_delete_marker: configured.expiration[0].expired_object_delete_marker },
        },
      ]);
    }
    // A bucket taken over keeps the resource its existing configuration is imported into
    expect(Object.keys(resourcesOf(synth('adopt', emulator), 'aws_s3_bucket_lifecycle_configuration'))).toHaveLength(1);
  });

  test('matches the snapshot', () => {
    expect(synthesized).toMatchSnapshot();
  });
});
