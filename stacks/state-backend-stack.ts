import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { ProjectSettings } from '../config/schema.js';
import { TAG_KEYS } from '../constants.js';
import { PrivateBucket } from '../constructs/index.js';

export interface StateBackendStackProps {
  readonly project: ProjectSettings;
}

/**
 * The bootstrap: the S3 bucket that holds every environment's Terraform state. Its own state is
 * local (terraform.state-backend.tfstate), because the bucket cannot hold the state that creates it.
 */
export class StateBackendStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateBackendStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', {
      region: props.project.region,
      defaultTags: [{ tags: { [TAG_KEYS.project]: props.project.project, [TAG_KEYS.environment]: 'shared', [TAG_KEYS.managedBy]: 'cdktf' } }],
    });
    const bucket = new PrivateBucket(this, 'StateBucket', {
      bucketName: props.project.stateBucketName,
      preventDestroy: true,
      // Every lock and unlock leaves versions of the .tflock object; state history is kept 90 days.
      noncurrentVersionExpirationDays: 90,
    });
    new TerraformOutput(this, 'state_bucket', { value: bucket.bucketName, description: 'S3 bucket holding the Terraform state' });
  }
}
