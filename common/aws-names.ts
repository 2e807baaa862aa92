// AWS's naming rules for the names this project derives, as functions that say what is wrong (or
// return undefined). Constructs check their own names with them, and the configuration checks every
// name a project and environment derive before any stack is built.

/** Length of the unique suffix the provider appends to a `name_prefix` / `bucket_prefix` (id.UniqueId). */
export const GENERATED_SUFFIX_LENGTH = 26;

/** S3's reserved beginnings and endings of general purpose bucket names (S3 user guide, bucket naming rules). */
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** The problem with a general purpose S3 bucket name, by every rule in S3's user guide. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3-63 characters long (has ${name.length})`;
  return bucketTextProblem(name, 'end');
}

/** The problem with a `bucket_prefix`: the provider adds 26 characters, and the whole must be a bucket name. */
export function s3BucketPrefixProblem(prefix: string): string | undefined {
  const maxLength = 63 - GENERATED_SUFFIX_LENGTH;
  if (prefix.length < 1 || prefix.length > maxLength) {
    return `has ${prefix.length} characters; a bucket name prefix may have at most ${maxLength} (the provider adds a ${GENERATED_SUFFIX_LENGTH}-character suffix to reach S3's 63)`;
  }
  return bucketTextProblem(prefix, 'prefix');
}

function bucketTextProblem(text: string, kind: 'end' | 'prefix'): string | undefined {
  if (!/^[a-z0-9.-]+$/.test(text)) return 'must use only lower-case letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(text) || (kind === 'end' && !/[a-z0-9]$/.test(text))) return 'must begin and end with a lower-case letter or digit';
  if (text.includes('..')) return 'must not contain two adjacent periods';
  if (kind === 'end' && /^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return 'must not be formatted as an IP address';
  const reservedPrefix = RESERVED_BUCKET_PREFIXES.find((reserved) => text.startsWith(reserved));
  if (reservedPrefix) return `must not begin with "${reservedPrefix}" (S3 reserves ${RESERVED_BUCKET_PREFIXES.join(', ')})`;
  const reservedSuffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => text.endsWith(reserved));
  if (kind === 'end' && reservedSuffix) return `must not end with "${reservedSuffix}" (S3 reserves ${RESERVED_BUCKET_SUFFIXES.join(', ')})`;
  return undefined;
}

/** The problem with a load balancer's name (Elastic Load Balancing API reference, CreateLoadBalancer Name). */
export function loadBalancerNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/.test(name)) {
    return 'must be 1-32 letters, digits and hyphens, not starting or ending with a hyphen';
  }
  if (name.startsWith('internal-')) return 'must not begin with "internal-" (Elastic Load Balancing reserves it)';
  return undefined;
}

/** The problem with an IAM role or instance profile `name_prefix` (64-character names, less the suffix). */
export function iamNamePrefixProblem(prefix: string): string | undefined {
  const maxLength = 64 - GENERATED_SUFFIX_LENGTH;
  if (prefix.length > maxLength) return `has ${prefix.length} characters; an IAM role name prefix may have at most ${maxLength} (names are at most 64, the provider adds ${GENERATED_SUFFIX_LENGTH})`;
  if (!/^[\w+=,.@-]+$/.test(prefix)) return 'must use only letters, digits and +=,.@_-';
  return undefined;
}

/** The problem with a security group `name_prefix` (EC2 reserves names beginning with sg-). */
export function securityGroupNamePrefixProblem(prefix: string): string | undefined {
  if (prefix.startsWith('sg-')) return 'must not begin with "sg-" (EC2 reserves it for security group ids)';
  const maxLength = 255 - GENERATED_SUFFIX_LENGTH;
  if (prefix.length > maxLength) return `has ${prefix.length} characters; a security group name prefix may have at most ${maxLength}`;
  return undefined;
}
