import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { RELEASE_KEY_PREFIX, RUNTIME_KEY_PREFIX } from '../constants.js';
import { PrivateBucket } from './private-bucket.js';

export interface ArtifactBucketProps {
  /** Prefix of the generated bucket name. */
  readonly bucketPrefix: string;
  /** KMS key for the releases; the instance role is then allowed to decrypt with it. @default - SSE-S3 */
  readonly kmsKeyArn?: string;
  /** Days an old release version is kept after being replaced (instance refresh rollback reads it). @default 30 */
  readonly noncurrentVersionExpirationDays?: number;
  /** See PrivateBucketProps.denyInsecureTransport; off only for the local emulator. @default true */
  readonly denyInsecureTransport?: boolean;
}

/** The generated bucket name's prefix for an environment's `name` (the provider adds 26 characters). */
/** The objects instances read from the artifact bucket `bucketArn`: the releases and the Node.js runtimes. */
export function instanceReadableObjects(bucketArn: string): string[] {
  return [`${bucketArn}/${RELEASE_KEY_PREFIX}*`, `${bucketArn}/${RUNTIME_KEY_PREFIX}*`];
}

/** Holds the service releases. Emptied on destroy: every release can be rebuilt from git. */
export class ArtifactBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly kmsKeyArn?: string;
  /** What a release object must be written after: the bucket's versioning and default encryption. */
  readonly objectSettings: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ArtifactBucketProps) {
    super(scope, id);
    const bucket = new PrivateBucket(this, 'Resource', {
      bucketPrefix: props.bucketPrefix,
      kmsKeyArn: props.kmsKeyArn,
      forceDestroy: true,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      denyInsecureTransport: props.denyInsecureTransport,
    });
    this.bucketName = bucket.bucketName;
    this.bucketArn = bucket.bucketArn;
    this.kmsKeyArn = props.kmsKeyArn;
    this.objectSettings = bucket.objectSettings;
  }
}
