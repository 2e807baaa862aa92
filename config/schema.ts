import { z } from 'zod';
import { s3BucketNameProblem } from '../common/aws-names.js';
import { AWS_REGIONS } from '../common/aws-regions.js';
import { instanceArchitecture } from '../common/instance-architecture.js';
import { BOOT_BUDGET_SECONDS, DEFAULTS, HTTP_PLATFORMS, MIN_REQUESTS_PER_TARGET_PER_MINUTE, WARM_POOL_STATES } from '../constants.js';

/** Rules shared by the configuration files; every message says what a value must be. */
const awsRegion = z.string().refine((region) => AWS_REGIONS.includes(region), 'must be an AWS region such as eu-west-1');
const cidr = z.string().refine(isIpv4Cidr, 'must be an IPv4 CIDR block such as 10.0.0.0/16 with a prefix of /16 to /24');
const positiveSeconds = z.number().int('must be a whole number of seconds').positive('must be a positive number of seconds');
const dnsName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS name such as app.example.com');

function isIpv4Cidr(value: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix < 16 || prefix > 24) return false;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  return address % 2 ** (32 - prefix) === 0; // no host bits set
}

export const projectSchema = z
  .object({
    /** Short name used in resource names and tags. */
    project: z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 characters: lower-case letters, digits and hyphens, starting with a letter'),
    region: awsRegion,
    /** Globally unique S3 bucket name for Terraform state, created by the state-backend stack. */
    stateBucketName: z.string().superRefine((name, ctx) => {
      const problem = s3BucketNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (S3's bucket naming rules)` });
    }),
    /**
     * Who alone may delete versions of the state or change the state bucket's policy, versioning and
     * lifecycle (a break-glass role, used for nothing else). @default - the account's root user only
     */
    stateBreakGlassPrincipalArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/, 'must be an IAM role, user or root ARN such as arn:aws:iam::123456789012:role/state-break-glass'))
      .min(1, 'must name at least one principal, or be left out (the root user only)')
      .optional(),
  })
  .strict();

const newNetwork = z
  .object({
    mode: z.literal('new'),
    vpcCidr: cidr.default(DEFAULTS.network.vpcCidr),
    availabilityZoneCount: z
      .number()
      .int()
      .refine((n) => n === 2 || n === 3, 'must be 2 or 3 (the load balancer needs at least 2 availability zones)')
      .default(DEFAULTS.network.availabilityZoneCount),
    natGatewayPerAz: z.boolean().default(DEFAULTS.network.natGatewayPerAz),
  })
  .strict();

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id such as subnet-0123456789abcdef0');
const kmsKeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, 'must be a KMS key ARN');

function firstRepeated(values: readonly string[]): string | undefined {
  return values.find((value, index) => values.indexOf(value) !== index);
}
const existingNetwork = z
  .object({
    mode: z.literal('existing'),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0123456789abcdef0'),
    publicSubnetIds: z.array(subnetId).min(2, 'must list at least 2 subnets, in different availability zones'),
    privateSubnetIds: z.array(subnetId).min(2, 'must list at least 2 subnets, in different availability zones'),
  })
  .strict()
  .refine((network) => network.publicSubnetIds.length === network.privateSubnetIds.length, {
    path: ['privateSubnetIds'],
    message: 'must list as many subnets as publicSubnetIds (one public and one private subnet per availability zone)',
  })
  .superRefine((network, ctx) => {
    for (const field of ['publicSubnetIds', 'privateSubnetIds'] as const) {
      const repeated = firstRepeated(network[field]);
      if (repeated) ctx.addIssue({ code: 'custom', path: [field], message: `must not list ${repeated} twice (one subnet per availability zone)` });
    }
    const shared = network.privateSubnetIds.find((id) => network.publicSubnetIds.includes(id));
    if (shared) ctx.addIssue({ code: 'custom', path: ['privateSubnetIds'], message: `must not list ${shared}, which publicSubnetIds lists too (instances stay out of the public subnets)` });
  });

const fleet = z
  .object({
    instanceType: z
      .string()
      .refine((type) => instanceArchitecture(type) !== undefined, 'must be a general-purpose EC2 instance type whose architecture can be told, such as t3.small (x86_64) or t4g.small (arm64)'),
    amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id such as ami-0123456789abcdef0').optional(),
    minCapacity: z.number().int().min(0, 'must be 0 or more'),
    maxCapacity: z.number().int().min(1, 'must be 1 or more'),
    desiredCapacity: z.number().int().optional(),
    cpuTargetPercent: z.number().gt(0, 'must be above 0 and at most 100').max(100, 'must be above 0 and at most 100').default(DEFAULTS.fleet.cpuTargetPercent),
    /** Requests per instance per minute (ALBRequestCountPerTarget counts per minute, not per second). */
    requestsPerTarget: z
      .number()
      .int()
      .min(
        MIN_REQUESTS_PER_TARGET_PER_MINUTE,
        `counts requests per instance per minute; must be at least ${MIN_REQUESTS_PER_TARGET_PER_MINUTE} (${MIN_REQUESTS_PER_TARGET_PER_MINUTE / 60} per second: an instance serves thousands, see BENCHMARKS.md)`,
      )
      .optional(),
    rootVolumeSizeGiB: z.number().int().min(8, 'must be at least 8 (the Debian image size)').max(1024).default(DEFAULTS.fleet.rootVolumeSizeGiB),
    /** Customer managed KMS key for the root volumes; its policy must grant Auto Scaling (README). Default: the AWS managed aws/ebs key. */
    rootVolumeKmsKeyArn: kmsKeyArn.optional(),
    /** Default: the boot budget (constants.ts, from the measured boot; BENCHMARKS.md, "Boot budget"). */
    healthCheckGracePeriodSeconds: positiveSeconds.default(BOOT_BUDGET_SECONDS),
    instanceWarmupSeconds: positiveSeconds.default(BOOT_BUDGET_SECONDS),
    spotPercentAboveBase: z.number().int().min(0).max(100, 'must be 0 to 100').default(DEFAULTS.fleet.spotPercentAboveBase),
    /** Instances provisioned ahead and kept stopped, started on scale-out (README, "Warm pool"). */
    warmPool: z
      .object({
        size: z.number().int('must be a whole number').min(1, 'must be at least 1; to have no warm pool, leave fleet.warmPool out'),
        state: z.enum(WARM_POOL_STATES, `must be one of ${WARM_POOL_STATES.join(', ')}`).default(DEFAULTS.fleet.warmPoolState),
        reuseOnScaleIn: z.boolean().default(DEFAULTS.fleet.warmPoolReuseOnScaleIn),
      })
      .strict()
      .refine((pool) => pool.state !== 'Hibernated', {
        path: ['state'],
        message: 'cannot be Hibernated: Debian\'s AMIs do not support hibernation (EC2 User Guide, "Prerequisites for EC2 instance hibernation"); use Stopped',
      })
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.minCapacity > value.maxCapacity) {
      ctx.addIssue({ code: 'custom', path: ['minCapacity'], message: `must not exceed fleet.maxCapacity (${value.maxCapacity})` });
    }
    if (value.desiredCapacity !== undefined && (value.desiredCapacity < value.minCapacity || value.desiredCapacity > value.maxCapacity)) {
      ctx.addIssue({ code: 'custom', path: ['desiredCapacity'], message: `must lie within fleet.minCapacity and fleet.maxCapacity [${value.minCapacity}, ${value.maxCapacity}]` });
    }
    if (value.warmPool && value.spotPercentAboveBase > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmPool'],
        message: `cannot be used with fleet.spotPercentAboveBase (${value.spotPercentAboveBase}): AWS adds no warm pool to a group with Spot instances (EC2 Auto Scaling User Guide, "Warm pools", limitations)`,
      });
    }
  });

export const environmentSchema = z
  .object({
    /** Production environments default to deletion protection and access logs. */
    production: z.boolean().default(false),
    network: z.discriminatedUnion('mode', [newNetwork, existingNetwork], { error: 'must have mode "new" or "existing"' }).prefault({ mode: 'new' }),
    fleet,
    loadBalancer: z
      .object({
        idleTimeoutSeconds: positiveSeconds.max(4000, 'must be at most 4000 seconds').default(DEFAULTS.loadBalancer.idleTimeoutSeconds),
        deletionProtection: z.boolean().optional(),
        accessLogs: z.boolean().optional(),
        accessLogRetentionDays: z.number().int().positive('must be a positive number of days').default(DEFAULTS.loadBalancer.accessLogRetentionDays),
      })
      .strict()
      .prefault({}),
    dns: z
      .object({
        hostedZoneName: dnsName,
        domainName: dnsName,
        dualStack: z.boolean().default(DEFAULTS.dns.dualStack),
      })
      .strict()
      .refine((dns) => dns.domainName === dns.hostedZoneName || dns.domainName.endsWith(`.${dns.hostedZoneName}`), {
        path: ['domainName'],
        message: 'must be the hosted zone name or a name inside it',
      })
      .optional(),
    artifacts: z
      .object({
        kmsKeyArn: kmsKeyArn.optional(),
        noncurrentVersionExpirationDays: z.number().int().positive('must be a positive number of days').default(DEFAULTS.artifacts.noncurrentVersionExpirationDays),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({ email: z.email('must be an email address').optional() })
      .strict()
      .default({}),
    service: z
      .object({
        shutdownTimeoutSeconds: positiveSeconds.max(600, 'must be at most 600 seconds').default(DEFAULTS.service.shutdownTimeoutSeconds),
        /** The service's HTTP platform on the instances (README, "Choosing the HTTP platform"). */
        httpPlatform: z.enum(HTTP_PLATFORMS, `must be one of ${HTTP_PLATFORMS.join(', ')}`).default(DEFAULTS.service.httpPlatform),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ProjectSettings = z.infer<typeof projectSchema>;
export type EnvironmentSettings = z.infer<typeof environmentSchema>;
