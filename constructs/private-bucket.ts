import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { type ITerraformDependable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { s3BucketNameProblem, s3BucketPrefixProblem } from '../common/aws-names.js';
import { ConfigError } from '../common/config-error.js';
import { known } from './known.js';

export interface PrivateBucketProps {
  /** Exact bucket name; give this or `bucketPrefix`. @default - none */
  readonly bucketName?: string;
  /** Prefix of a generated, unique bucket name. @default - none */
  readonly bucketPrefix?: string;
  /**
   * Default encryption. `kms`: SSE-KMS with `kmsKeyArn`, or without one with S3's AWS managed key
   * `aws/s3` (nothing to create or pay for monthly; its key policy lets this account's principals use
   * it through S3 only, so readers need no KMS permission), with an S3 Bucket Key to cut KMS requests.
   * `sse-s3`: AES256, only for a bucket a service can write to with nothing else: ELB access log
   * delivery supports SSE-S3 only (Elastic Load Balancing User Guide, "Access logs for your
   * Application Load Balancer", bucket requirements).
   * @default 'kms'
   */
  readonly encryption?: 'kms' | 'sse-s3';
  /** A customer managed KMS key for SSE-KMS. @default - S3's AWS managed key */
  readonly kmsKeyArn?: string;
  /** Let `terraform destroy` empty the bucket; only for contents that can be rebuilt. @default false */
  readonly forceDestroy?: boolean;
  /** Refuse `terraform destroy` of the bucket itself (Terraform's prevent_destroy). @default false */
  readonly preventDestroy?: boolean;
  /** Days a replaced or deleted object version is kept. @default 30 */
  readonly noncurrentVersionExpirationDays?: number;
  /** Days before current objects expire; for logs. @default - never */
  readonly expirationDays?: number;
  /**
   * Deny every request that does not use TLS. Only local mode turns it off: moto evaluates bucket
   * policies without request context, so the condition never holds and the Deny hits every request.
   * @default true
   */
  readonly denyInsecureTransport?: boolean;
  /** Statements added to the bucket policy beside the TLS-only one, given the bucket's ARN. @default - none */
  readonly policyStatements?: (bucketArn: string) => DataAwsIamPolicyDocumentStatement[];
  /**
   * The statements deny changing the bucket's versioning and lifecycle to the principal that creates
   * them (the state bucket's guard): the policy is then put after both, or AWS would refuse their
   * creation. Otherwise the policy waits for the public access block only, so that the provider's
   * fixed wait after creating a lifecycle configuration (ten equal reads in a row, 55 s; its
   * `waitLifecycleConfigEquals`) runs beside the policy and what needs it (the load balancer, whose
   * access logs need the policy), not before them.
   * @default false
   */
  readonly policyGuardsSettings?: boolean;
  /**
   * Take over an existing bucket of this exact name (Terraform import blocks for the bucket and each
   * of its settings) instead of creating it; only with `bucketName`. @default false
   */
  readonly importExisting?: boolean;
  /**
   * Local mode only: the lifecycle rule as the bucket's own inline `lifecycle_rule` instead of an
   * `aws_s3_bucket_lifecycle_configuration`, whose creation the AWS provider follows with a fixed
   * wait (ten equal reads in a row, 10 s then every 5 s: 55 s) however fast the emulator answers.
   * The same rule reaches S3 (PutBucketLifecycleConfiguration either way); not with `importExisting`.
   * @default false
   */
  readonly inlineLifecycleRule?: boolean;
}

/**
 * An S3 bucket as every bucket here should be: versioned, encrypted, public access blocked, object
 * ownership enforced (no ACLs), TLS-only, old versions and failed uploads cleaned up.
 */
export class PrivateBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly bucketDomainName: string;
  /**
   * Versioning and default encryption: objects written before these apply get no version id (S3's
   * "null" version) or the wrong encryption, so resources that write objects depend on them.
   */
  readonly objectSettings: ITerraformDependable[];
  /** The bucket policy, when there is one: services that write into the bucket need it first. */
  readonly bucketPolicy?: ITerraformDependable;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    if ((props.bucketName === undefined) === (props.bucketPrefix === undefined)) {
      throw new ConfigError('give exactly one of bucketName and bucketPrefix', this);
    }
    const encryptionKind = props.encryption ?? 'kms';
    if (encryptionKind === 'sse-s3' && props.kmsKeyArn !== undefined) {
      throw new ConfigError(`kmsKeyArn (${props.kmsKeyArn}) needs encryption 'kms', not 'sse-s3'`, this);
    }
    if (props.importExisting && props.bucketName === undefined) throw new ConfigError('importExisting needs bucketName: a generated name cannot be found again', this);
    if (props.importExisting && props.inlineLifecycleRule) throw new ConfigError('inlineLifecycleRule cannot be used with importExisting: the existing lifecycle configuration is imported as its own resource', this);
    const nameProblem = props.bucketName !== undefined && known(props.bucketName) ? s3BucketNameProblem(props.bucketName) : undefined;
    if (nameProblem) throw new ConfigError(`bucketName (${JSON.stringify(props.bucketName)}) ${nameProblem}`, this);
    const prefixProblem = props.bucketPrefix !== undefined && known(props.bucketPrefix) ? s3BucketPrefixProblem(props.bucketPrefix) : undefined;
    if (prefixProblem) throw new ConfigError(`bucketPrefix (${JSON.stringify(props.bucketPrefix)}) ${prefixProblem}`, this);
    for (const [name, days] of [['noncurrentVersionExpirationDays', props.noncurrentVersionExpirationDays], ['expirationDays', props.expirationDays]] as const) {
      if (days !== undefined && known(days) && !(Number.isInteger(days) && days > 0)) {
        throw new ConfigError(`${name} (${days}) must be a positive whole number of days`, this);
      }
    }

    const rule = {
      id: 'expire-old-versions-and-uploads',
      noncurrentDays: props.noncurrentVersionExpirationDays ?? 30,
      abortUploadsAfterDays: 7,
      expirationDays: props.expirationDays,
    };
    const bucket = new S3Bucket(this, 'Resource', {
      bucket: props.bucketName,
      bucketPrefix: props.bucketPrefix,
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
      lifecycleRule: props.inlineLifecycleRule
        ? [
            {
              id: rule.id,
              enabled: true,
              prefix: '',
              noncurrentVersionExpiration: { days: rule.noncurrentDays },
              abortIncompleteMultipartUploadDays: rule.abortUploadsAfterDays,
              expiration: rule.expirationDays ? { days: rule.expirationDays } : { expiredObjectDeleteMarker: true },
            },
          ]
        : undefined,
    });
    const versioning = new S3BucketVersioningA(this, 'Versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: encryptionKind === 'kms' ? { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn } : { sseAlgorithm: 'AES256' },
          bucketKeyEnabled: encryptionKind === 'kms',
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'OwnershipControls', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });

    const statements: DataAwsIamPolicyDocumentStatement[] = [
      ...(props.denyInsecureTransport === false
        ? []
        : [
            {
              sid: 'DenyInsecureTransport',
              effect: 'Deny',
              principals: [{ type: '*', identifiers: ['*'] }],
              actions: ['s3:*'],
              resources: [bucket.arn, `${bucket.arn}/*`],
              condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
            },
          ]),
      ...(props.policyStatements?.(bucket.arn) ?? []),
    ];
    const lifecycle = props.inlineLifecycleRule
      ? undefined
      : new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
          bucket: bucket.id,
          rule: [
            {
              id: rule.id,
              status: 'Enabled',
              filter: [{ prefix: '' }],
              noncurrentVersionExpiration: [{ noncurrentDays: rule.noncurrentDays }],
              abortIncompleteMultipartUpload: [{ daysAfterInitiation: rule.abortUploadsAfterDays }],
              expiration: rule.expirationDays ? [{ days: rule.expirationDays }] : [{ expiredObjectDeleteMarker: true }],
            },
          ],
        });

    if (statements.length > 0) {
      const policy = new DataAwsIamPolicyDocument(this, 'PolicyDocument', { statement: statements });
      // The public access block must exist first, or S3 may judge a statement public while it is not
      // there; and versioning and lifecycle too where a statement denies changing them.
      const guarded = props.policyGuardsSettings ? [versioning, ...(lifecycle ? [lifecycle] : [])] : [];
      this.bucketPolicy = new S3BucketPolicy(this, 'Policy', { bucket: bucket.id, policy: policy.json, dependsOn: [publicAccess, ...guarded] });
    }


    if (props.importExisting) {
      for (const child of this.node.children) {
        if (child instanceof TerraformResource) child.importFrom(props.bucketName!);
      }
    }

    this.bucketName = bucket.bucket;
    this.objectSettings = [versioning, encryption];
    this.bucketArn = bucket.arn;
    this.bucketDomainName = bucket.bucketDomainName;
  }
}
