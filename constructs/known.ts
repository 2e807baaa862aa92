import { Token } from 'cdktf';

/**
 * Whether every value is known at synth time: a check of a construct's props skips a value that is
 * only known at deploy time (a `TerraformVariable`, another resource's attribute), as aws-cdk's do.
 */
export function known(...values: unknown[]): boolean {
  return values.every((value) => !Token.isUnresolved(value));
}
