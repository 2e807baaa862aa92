import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { ProjectSettings } from '../config/schema.js';
import { TAG_KEYS } from '../constants.js';
import { PrivateBucket } from '../constructs/index.js';
import { emulatorProviderSettings, type LocalEmulator } from './local-emulator.js';
import { keepStateInBucket } from './s3-state.js';
import { requireTerraformVersion } from './terraform-version.js';

/** Where the bootstrap keeps its own state once the bucket exists: in the bucket, beside the environments'. */
export const BOOTSTRAP_STATE_KEY = (project: string) => `${project}/state-backend/terraform.tfstate`;
/** Where the very first bootstrap keeps its state until the bucket exists (relative to the stack's directory). */
export const FIRST_BOOTSTRAP_STATE_PATH = '../../../.local/state-backend.first.tfstate';

/**
 * How the bootstrap finds the bucket (scripts/stack.sh decides, from what scripts/state-bucket.ts sees):
 * `managed` - it exists and holds the bootstrap's state; `create` - it does not exist yet: the state
 * starts in a local file and moves into the bucket right after; `adopt` - it exists without that state
 * (made by hand, or by an older version of this project): Terraform imports it.
 */
export type BootstrapMode = 'managed' | 'create' | 'adopt';

export interface StateBackendStackProps {
  readonly project: ProjectSettings;
  /** @default 'managed' */
  readonly mode?: BootstrapMode;
  /** Local mode: the bucket is created in this emulator. @default - real AWS */
  readonly emulator?: LocalEmulator;
}

/**
 * The bootstrap: the S3 bucket that holds every environment's Terraform state, and its own. From any
 * clone and any machine, a bootstrap of an existing bucket changes nothing.
 */
/**
 * The state cannot be rewritten or erased quietly: nobody but the break-glass principals may delete
 * an object version (a state's history, a lock's) or change what keeps that history (the bucket's
 * policy, versioning, lifecycle) or delete the bucket. Writing the state and its lock file (PutObject,
 * DeleteObject, which only adds a delete marker) stays with whoever IAM allows. S3's lifecycle
 * expiration is not subject to the policy. The account's root user can always remove a bucket policy
 * that locks everyone out (Amazon S3 User Guide, "Bucket policies"; IAM, "aws:PrincipalArn").
 */
export const STATE_GUARDED_ACTIONS = [
  's3:DeleteObjectVersion',
  's3:DeleteBucket',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
];

function stateGuard(scope: Construct, bucketArn: string, breakGlass: readonly string[] | undefined): DataAwsIamPolicyDocumentStatement {
  const principals = breakGlass ?? [`arn:${new DataAwsPartition(scope, 'Partition', {}).partition}:iam::${new DataAwsCallerIdentity(scope, 'Account', {}).accountId}:root`];
  return {
    sid: 'OnlyBreakGlassRewritesHistory',
    effect: 'Deny',
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: STATE_GUARDED_ACTIONS,
    resources: [bucketArn, `${bucketArn}/*`],
    condition: [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [...principals] }],
  };
}

export class StateBackendStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateBackendStackProps) {
    super(scope, id);
    requireTerraformVersion(this);
    const { project } = props;
    if (props.mode === 'create') {
      new LocalBackend(this, { path: FIRST_BOOTSTRAP_STATE_PATH });
    } else {
      keepStateInBucket(this, project, BOOTSTRAP_STATE_KEY(project.project), props.emulator);
    }
    new AwsProvider(this, 'aws', {
      region: project.region,
      defaultTags: [{ tags: { [TAG_KEYS.project]: project.project, [TAG_KEYS.environment]: 'shared', [TAG_KEYS.managedBy]: 'cdktf' } }],
      ...(props.emulator && emulatorProviderSettings(props.emulator)),
    });
    const bucket = new PrivateBucket(this, 'StateBucket', {
      bucketName: project.stateBucketName,
      preventDestroy: true,
      // Every lock and unlock leaves versions of the .tflock object; state history is kept 90 days.
      noncurrentVersionExpirationDays: 90,
      denyInsecureTransport: !props.emulator,
      importExisting: props.mode === 'adopt',
      // Local mode skips the provider's fixed 55 s wait after a lifecycle configuration (a bucket
      // adopted keeps the resource, which its import needs); docs/deploying.md, emulator gaps.
      inlineLifecycleRule: props.emulator !== undefined && props.mode !== 'adopt',
      policyStatements: (bucketArn) => [stateGuard(this, bucketArn, project.stateBreakGlassPrincipalArns)],
      policyGuardsSettings: true,
    });
    new TerraformOutput(this, 'state_bucket', { value: bucket.bucketName, description: 'S3 bucket holding the Terraform state' });
  }
}
