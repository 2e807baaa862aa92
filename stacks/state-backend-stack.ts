import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { ProjectSettings } from '../config/schema.js';
import { TAG_KEYS } from '../constants.js';
import { PrivateBucket } from '../constructs/index.js';
import { emulatorProviderSettings, type LocalEmulator } from './local-emulator.js';
import { requireTerraformVersion } from './terraform-version.js';

/** Where local mode keeps the bootstrap's state (relative to the stack's directory under cdktf.out). */
export const LOCAL_STATE_PATH = '../../../.local/terraform.state-backend.tfstate';

export interface StateBackendStackProps {
  readonly project: ProjectSettings;
  /** Local mode: the bucket is created in this emulator. @default - real AWS */
  readonly emulator?: LocalEmulator;
}

/**
 * The bootstrap: the S3 bucket that holds every environment's Terraform state. Its own state is
 * local (terraform.state-backend.tfstate), because the bucket cannot hold the state that creates it.
 */
export class StateBackendStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateBackendStackProps) {
    super(scope, id);
    requireTerraformVersion(this);
    // Local mode keeps the bootstrap's state apart, so it never mixes with the real account's.
    if (props.emulator) new LocalBackend(this, { path: LOCAL_STATE_PATH });
    new AwsProvider(this, 'aws', {
      region: props.project.region,
      defaultTags: [{ tags: { [TAG_KEYS.project]: props.project.project, [TAG_KEYS.environment]: 'shared', [TAG_KEYS.managedBy]: 'cdktf' } }],
      ...(props.emulator && emulatorProviderSettings(props.emulator)),
    });
    const bucket = new PrivateBucket(this, 'StateBucket', {
      bucketName: props.project.stateBucketName,
      preventDestroy: true,
      // Every lock and unlock leaves versions of the .tflock object; state history is kept 90 days.
      noncurrentVersionExpirationDays: 90,
      denyInsecureTransport: !props.emulator,
    });
    new TerraformOutput(this, 'state_bucket', { value: bucket.bucketName, description: 'S3 bucket holding the Terraform state' });
  }
}
