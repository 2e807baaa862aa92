import type { TerraformStack } from 'cdktf';

/** S3's own state lock file (`use_lockfile`) is generally available from Terraform 1.11, experimental in 1.10. */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.11';

/** Makes Terraform older than 1.11 refuse the stack instead of misreading its backend. */
export function requireTerraformVersion(stack: TerraformStack): void {
  stack.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
}
