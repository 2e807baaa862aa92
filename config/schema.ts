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
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 characters: lower-case letters, digits and hyphens, starting with a letter')
      .describe(
        "2-20 lower-case letters, digits, hyphens, starting with a letter; used in names and the `Project` tag. With each environment's name, every derived name must fit AWS's limits (`config/resource-names.ts`): the artifact bucket prefix `<project>-<env>-artifacts-` at most 37 characters (so project and environment names together at most 26 characters with the hyphen), no `xn--`/`sthree-`/`amzn-s3-demo-` start, no `internal-` or `sg-` start",
      ),
    region: awsRegion.describe('an AWS region the pinned provider 5.100.0 knows, such as `eu-west-1` (`common/aws-regions.ts`)'),
    stateBucketName: z
      .string()
      .superRefine((name, ctx) => {
        const problem = s3BucketNameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (S3's bucket naming rules)` });
      })
      .describe(
        'the S3 bucket holding every Terraform state, created by the `state-backend` stack: globally unique, by every S3 naming rule (3-63 characters; lower-case letters, digits, dots, hyphens; letter or digit at both ends; no `..`; not an IP address; no reserved prefix `xn--`, `sthree-`, `amzn-s3-demo-` or suffix `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`)',
      ),
    stateBreakGlassPrincipalArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/, 'must be an IAM role, user or root ARN such as arn:aws:iam::123456789012:role/state-break-glass'))
      .min(1, 'must name at least one principal, or be left out (the root user only)')
      .optional()
      .meta({
        description:
          'IAM role, user or root ARNs (at least one when given): the only principals that may delete versions of the state or change the state bucket\'s policy, versioning and lifecycle, or delete it (a break-glass role, used for nothing else)',
        defaultText: "the account's root user only",
      }),
  })
  .strict();

const newNetwork = z
  .object({
    mode: z.literal('new').describe('`"new"`: the stack makes the VPC, its subnets, NAT gateways and S3 endpoint'),
    vpcCidr: cidr.default(DEFAULTS.network.vpcCidr).describe('IPv4 CIDR, /16 to /24, no host bits; the subnets are its sixteenths'),
    availabilityZoneCount: z
      .number()
      .int()
      .refine((n) => n === 2 || n === 3, 'must be 2 or 3 (the load balancer needs at least 2 availability zones)')
      .default(DEFAULTS.network.availabilityZoneCount)
      .describe('availability zones to spread over: 2 or 3'),
    natGatewayPerAz: z.boolean().default(DEFAULTS.network.natGatewayPerAz).describe('one NAT gateway per zone (survives a zone outage) instead of one shared'),
  })
  .strict();

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id such as subnet-0123456789abcdef0');
const kmsKeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, 'must be a KMS key ARN');

function firstRepeated(values: readonly string[]): string | undefined {
  return values.find((value, index) => values.indexOf(value) !== index);
}
const existingNetwork = z
  .object({
    mode: z.literal('existing').describe('`"existing"`: the stack uses a VPC and subnets made elsewhere'),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0123456789abcdef0').describe('the VPC, such as `vpc-0123456789abcdef0`'),
    publicSubnetIds: z.array(subnetId).min(2, 'must list at least 2 subnets, in different availability zones').describe("the load balancer's subnets: at least 2, one per availability zone, none listed twice"),
    privateSubnetIds: z
      .array(subnetId)
      .min(2, 'must list at least 2 subnets, in different availability zones')
      .describe("the instances' subnets: as many as public ones, one per zone, none listed twice or among the public ones; they need a route to the internet (NAT) and to S3"),
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
      .refine((type) => instanceArchitecture(type) !== undefined, 'must be a general-purpose EC2 instance type whose architecture can be told, such as t3.small (x86_64) or t4g.small (arm64)')
      .describe('a general-purpose type whose architecture can be told (`t3.small`: x86_64, `t4g.small`: arm64); it picks the Debian image and the Node.js runtime'),
    amiId: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id such as ami-0123456789abcdef0')
      .optional()
      .meta({ description: '`ami-` and 8-17 hex digits: an image instead of the newest official Debian 13 for the architecture', defaultText: 'the newest Debian 13 release image' }),
    minCapacity: z.number().int().min(0, 'must be 0 or more').describe('whole number, at most `maxCapacity`'),
    maxCapacity: z.number().int().min(1, 'must be 1 or more').describe('whole number, at least 1'),
    desiredCapacity: z.number().int().optional().meta({ description: 'within [minCapacity, maxCapacity]; used only when the group is created', defaultText: '`minCapacity`' }),
    cpuTargetPercent: z
      .number()
      .gt(0, 'must be above 0 and at most 100')
      .max(100, 'must be above 0 and at most 100')
      .default(DEFAULTS.fleet.cpuTargetPercent)
      .describe('average CPU the target-tracking policy holds the group at: above 0, at most 100'),
    requestsPerTarget: z
      .number()
      .int()
      .min(
        MIN_REQUESTS_PER_TARGET_PER_MINUTE,
        `counts requests per instance per minute; must be at least ${MIN_REQUESTS_PER_TARGET_PER_MINUTE} (${MIN_REQUESTS_PER_TARGET_PER_MINUTE / 60} per second: an instance serves thousands, see BENCHMARKS.md)`,
      )
      .optional()
      .meta({
        description: `requests per instance **per minute** (what \`ALBRequestCountPerTarget\` counts), at least ${MIN_REQUESTS_PER_TARGET_PER_MINUTE}; adds a request-count target-tracking policy. Guidance: the measured \`/version\` rate per instance (BENCHMARKS.md, "App tier") x 60 x a quarter for headroom`,
        defaultText: 'CPU tracking only',
      }),
    rootVolumeSizeGiB: z.number().int().min(8, 'must be at least 8 (the Debian image size)').max(1024).default(DEFAULTS.fleet.rootVolumeSizeGiB).describe('root volume size in GiB, 8-1024'),
    rootVolumeKmsKeyArn: kmsKeyArn.optional().meta({
      description:
        'a customer managed KMS key ARN in the project\'s region for the root volumes. Its key policy must grant the Auto Scaling service-linked role `AWSServiceRoleForAutoScaling` `kms:Encrypt`, `kms:Decrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:DescribeKey`, and `kms:CreateGrant` with `kms:GrantIsForAWSResource = true` (EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes"), or every launch fails',
      defaultText: 'the AWS managed `aws/ebs` key',
    }),
    healthCheckGracePeriodSeconds: positiveSeconds
      .default(BOOT_BUDGET_SECONDS)
      .describe('positive whole seconds; the default is the boot budget, 4 x the measured boot + 60 s (constants.ts; BENCHMARKS.md, "Boot budget")'),
    instanceWarmupSeconds: positiveSeconds
      .default(BOOT_BUDGET_SECONDS)
      .describe("positive whole seconds; the default is the boot budget (a provisioning instance's CPU is apt's, not load)"),
    spotPercentAboveBase: z.number().int().min(0).max(100, 'must be 0 to 100').default(DEFAULTS.fleet.spotPercentAboveBase).describe('percentage of capacity above `minCapacity` run on Spot, 0-100; not with `warmPool`'),
    warmPool: z
      .object({
        size: z
          .number()
          .int('must be a whole number')
          .min(1, 'must be at least 1; to have no warm pool, leave fleet.warmPool out')
          .describe("at least 1: that many instances kept provisioned beyond the group's capacity, started on scale-out"),
        state: z
          .enum(WARM_POOL_STATES, `must be one of ${WARM_POOL_STATES.join(', ')}`)
          .default(DEFAULTS.fleet.warmPoolState)
          .describe('`"Stopped"` or `"Running"`; `"Hibernated"` is refused (Debian\'s AMIs cannot hibernate)'),
        reuseOnScaleIn: z.boolean().default(DEFAULTS.fleet.warmPoolReuseOnScaleIn).describe('scale-in stops instances back into the pool instead of terminating them'),
      })
      .strict()
      .refine((pool) => pool.state !== 'Hibernated', {
        path: ['state'],
        message: 'cannot be Hibernated: Debian\'s AMIs do not support hibernation (EC2 User Guide, "Prerequisites for EC2 instance hibernation"); use Stopped',
      })
      .optional()
      .meta({ description: 'instances provisioned ahead and kept stopped, started on scale-out; not with Spot', defaultText: 'no warm pool' }),
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
    production: z.boolean().default(false).describe('turns on deletion protection and access logs unless they are set explicitly, and keeps the access logs when the stack is deleted'),
    network: z
      .discriminatedUnion('mode', [newNetwork, existingNetwork], { error: 'must have mode "new" or "existing"' })
      .prefault({ mode: 'new' })
      .describe('a new VPC, or an existing one'),
    fleet,
    loadBalancer: z
      .object({
        idleTimeoutSeconds: positiveSeconds
          .max(4000, 'must be at most 4000 seconds')
          .default(DEFAULTS.loadBalancer.idleTimeoutSeconds)
          .describe("1-4000 seconds an idle client connection is kept; stays below Apache's `KeepAliveTimeout`"),
        deletionProtection: z.boolean().optional().meta({ description: 'refuse deletion of the load balancer through the API (`make delete_stack` switches it off first)', defaultText: '`production`' }),
        accessLogs: z.boolean().optional().meta({ description: 'write access logs to a bucket of their own', defaultText: '`production`' }),
        accessLogRetentionDays: z
          .number()
          .int()
          .positive('must be a positive number of days')
          .default(DEFAULTS.loadBalancer.accessLogRetentionDays)
          .describe('positive whole days access logs are kept'),
      })
      .strict()
      .prefault({}),
    dns: z
      .object({
        hostedZoneName: dnsName.describe('the public hosted zone, such as `example.com`'),
        domainName: dnsName.describe("the site's fixed name: the zone's name or a name inside it; with it, HTTPS (an ACM certificate validated in the zone) and the alias records"),
        dualStack: z.boolean().default(DEFAULTS.dns.dualStack).describe('IPv6 on the load balancer and an AAAA record'),
      })
      .strict()
      .refine((dns) => dns.domainName === dns.hostedZoneName || dns.domainName.endsWith(`.${dns.hostedZoneName}`), {
        path: ['domainName'],
        message: 'must be the hosted zone name or a name inside it',
      })
      .optional()
      .meta({ description: 'a fixed name in Route 53 for the site', defaultText: 'none: the load balancer\'s own name, HTTP only' }),
    artifacts: z
      .object({
        kmsKeyArn: kmsKeyArn.optional().meta({
          description:
            "a customer managed KMS key ARN in the project's region for the release bucket only (the instance role may decrypt with it; the AWS managed key needs no grant, its key policy allows the account's principals through S3); root volumes take `fleet.rootVolumeKmsKeyArn`",
          defaultText: "S3's AWS managed key (`aws/s3`)",
        }),
        noncurrentVersionExpirationDays: z
          .number()
          .int()
          .positive('must be a positive number of days')
          .default(DEFAULTS.artifacts.noncurrentVersionExpirationDays)
          .describe('positive whole days old releases stay available for rollback'),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({ email: z.email('must be an email address').optional().meta({ description: 'an email address subscribed to the alarm topic', defaultText: 'none' }) })
      .strict()
      .default({}),
    service: z
      .object({
        shutdownTimeoutSeconds: positiveSeconds
          .max(600, 'must be at most 600 seconds')
          .default(DEFAULTS.service.shutdownTimeoutSeconds)
          .describe("1-600: the service's drain bound and the target group's deregistration delay"),
        httpPlatform: z
          .enum(HTTP_PLATFORMS, `must be one of ${HTTP_PLATFORMS.join(', ')}`)
          .default(DEFAULTS.service.httpPlatform)
          .describe('`express` or `fastify`: the HTTP platform the workers run on (`HTTP_PLATFORM` in `/etc/webapp/service.env`; docs/service.md, "Choosing the HTTP platform")'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ProjectSettings = z.infer<typeof projectSchema>;
export type EnvironmentSettings = z.infer<typeof environmentSchema>;
