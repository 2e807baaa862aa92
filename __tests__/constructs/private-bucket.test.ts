import { describe, expect, test } from '@jest/globals';
import { ArtifactBucket } from '../../constructs/artifact-bucket.js';
import { ConfigError } from '../../common/config-error.js';
import { PrivateBucket, type PrivateBucketProps } from '../../constructs/private-bucket.js';
import { dataOf, onlyResource, resourcesOf, synthScope } from '../synth.js';

describe('PrivateBucket', () => {
  const out = synthScope((scope) => new PrivateBucket(scope, 'Bucket', { bucketName: 'my-bucket' }));

  test('is versioned, SSE-KMS encrypted with S3\'s AWS managed key and a bucket key, public access blocked and without ACLs', () => {
    expect(onlyResource(out, 'aws_s3_bucket')).toEqual({ bucket: 'my-bucket', force_destroy: false });
    expect(onlyResource(out, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(onlyResource(out, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' }, bucket_key_enabled: true },
    ]);
    expect(onlyResource(out, 'aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(onlyResource(out, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  test('denies every request that does not use TLS', () => {
    const [document] = Object.values(dataOf(out, 'aws_iam_policy_document'));
    expect(document.statement).toEqual([
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:*'],
        resources: [expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.arn\}$/), expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.arn\}\/\*$/)],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ]);
    // After the public access block (S3 may judge a statement public without it), and nothing else:
    // the lifecycle configuration's fixed 55 s wait runs beside the policy.
    expect(onlyResource(out, 'aws_s3_bucket_policy').depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
  });

  test('a policy that denies changing versioning and lifecycle comes after both (AWS would refuse their creation once it is in place)', () => {
    const guarded = synthScope((scope) => new PrivateBucket(scope, 'Bucket', { bucketName: 'b-1', policyGuardsSettings: true }));
    expect(onlyResource(guarded, 'aws_s3_bucket_policy').depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_public_access_block\./),
      expect.stringMatching(/^aws_s3_bucket_versioning\./),
      expect.stringMatching(/^aws_s3_bucket_lifecycle_configuration\./),
    ]);
  });

  test('expires old versions and aborts incomplete uploads', () => {
    expect(onlyResource(out, 'aws_s3_bucket_lifecycle_configuration').rule).toEqual([
      {
        id: 'expire-old-versions-and-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
        expiration: [{ expired_object_delete_marker: true }],
      },
    ]);
  });

  test('SSE-S3 where asked (a log bucket ELB writes to), without a bucket key', () => {
    const sseS3 = synthScope((scope) => new PrivateBucket(scope, 'Bucket', { bucketName: 'b-1', encryption: 'sse-s3' }));
    expect(onlyResource(sseS3, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: false },
    ]);
  });

  test('uses the KMS key when given one, and can refuse destroy', () => {
    const kms = synthScope((scope) => new PrivateBucket(scope, 'Bucket', { bucketName: 'b-1', kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k', preventDestroy: true }));
    expect(onlyResource(kms, 'aws_s3_bucket_server_side_encryption_configuration').rule[0]).toEqual({
      apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: 'arn:aws:kms:eu-west-1:111111111111:key/k' },
      bucket_key_enabled: true,
    });
    expect(onlyResource(kms, 'aws_s3_bucket').lifecycle).toEqual({ prevent_destroy: true });
  });

  test('with an inline lifecycle rule, its policy still waits for versioning where it guards it, and for no lifecycle resource', () => {
    const out = synthScope((scope) => new PrivateBucket(scope, 'Bucket', { bucketName: 'b-1', inlineLifecycleRule: true, expirationDays: 5, policyGuardsSettings: true }));
    expect(resourcesOf(out, 'aws_s3_bucket_lifecycle_configuration')).toEqual({});
    expect(onlyResource(out, 'aws_s3_bucket').lifecycle_rule[0].expiration).toEqual({ days: 5 });
    expect(onlyResource(out, 'aws_s3_bucket_policy').depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./), expect.stringMatching(/^aws_s3_bucket_versioning\./)]);
  });

  test.each<[string, PrivateBucketProps, string]>([
    ['neither name nor prefix', {}, 'give exactly one of bucketName and bucketPrefix'],
    ['both name and prefix', { bucketName: 'a-b', bucketPrefix: 'a-' }, 'give exactly one of bucketName and bucketPrefix'],
    ['zero noncurrent days', { bucketName: 'a-b', noncurrentVersionExpirationDays: 0 }, 'noncurrentVersionExpirationDays (0) must be a positive whole number of days'],
    ['fractional expiry', { bucketName: 'a-b', expirationDays: 1.5 }, 'expirationDays (1.5) must be a positive whole number of days'],
    ['a KMS key with SSE-S3', { bucketName: 'a-b', encryption: 'sse-s3', kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k' }, "kmsKeyArn (arn:aws:kms:eu-west-1:111111111111:key/k) needs encryption 'kms', not 'sse-s3'"],
    [
      'an inline lifecycle rule on a bucket taken over',
      { bucketName: 'a-b', importExisting: true, inlineLifecycleRule: true },
      'inlineLifecycleRule cannot be used with importExisting: the existing lifecycle configuration is imported as its own resource',
    ],
  ])('refuses %s', (_case, props, message) => {
    expect(() => synthScope((scope) => new PrivateBucket(scope, 'Bucket', props))).toThrow(new ConfigError(`stack/Bucket: ${message}`));
  });
});

describe('ArtifactBucket', () => {
  test('is a private bucket with a generated name that destroy may empty', () => {
    const out = synthScope((scope) => new ArtifactBucket(scope, 'Artifacts', { bucketPrefix: 'webapp-dev-artifacts-' }));
    expect(onlyResource(out, 'aws_s3_bucket')).toEqual({ bucket_prefix: 'webapp-dev-artifacts-', force_destroy: true });
    expect(onlyResource(out, 'aws_s3_bucket_versioning').versioning_configuration.status).toBe('Enabled');
  });
});
