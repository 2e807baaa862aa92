// The prefixes of the names the constructs generate for an environment's `name`. They live apart from
// the constructs so that the configuration can check every derived name against AWS's rules before any
// construct is built (config/resource-names.ts).

/** The generated access-log bucket name's prefix for a load balancer `name` (the provider adds 26 characters). */
export function accessLogBucketPrefix(name: string): string {
  return `${name}-logs-`;
}

/** The generated artifact bucket name's prefix for an environment's `name` (the provider adds 26 characters). */
export function artifactBucketPrefix(name: string): string {
  return `${name}-artifacts-`;
}

/** The prefix of the fleet's generated names (role, instance profile, launch template, security group) for an environment's `name`. */
export function fleetNamePrefix(name: string): string {
  return `${name}-web-`;
}
