import { AutoscalingGroup, type AutoscalingGroupConfig } from '@cdktf/provider-aws/lib/autoscaling-group/index.js';
import { AutoscalingPolicy } from '@cdktf/provider-aws/lib/autoscaling-policy/index.js';
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Fn, type ITerraformDependable, TerraformLocal, Token } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { iamNamePrefixProblem } from '../common/aws-names.js';
import { ConfigError } from '../common/config-error.js';
import { instanceArchitecture } from '../common/instance-architecture.js';
import { fleetNamePrefix } from '../common/name-prefixes.js';
import { BOOT_BUDGET_SECONDS, DEBIAN_AMI_OWNER, DEFAULTS, LAUNCH_HOOK_HEARTBEAT_SECONDS, LAUNCH_LIFECYCLE_HOOK, WARM_POOL_STATES } from '../constants.js';
import { instanceReadableObjects } from './artifact-bucket.js';
import { known } from './known.js';

/** What the fleet needs to know of the load balancer in front of it. */
export interface FleetLoadBalancer {
  readonly securityGroupId: string;
  readonly targetGroupArn: string;
  readonly targetPort: number;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  /** Opens the load balancer's way out to the fleet's security group (the load balancer owns that rule). */
  allowTrafficTo(targetSecurityGroupId: string): void;
}

/** Debian's release images (debian-13-<arch>-YYYYMMDD-NNNN), not its daily builds (debian-13-<arch>-daily-...). */
export function debianReleaseImageNameRegex(debianArchitecture: 'amd64' | 'arm64'): string {
  return `^debian-13-${debianArchitecture}-\\d{8}-\\d+$`;
}

export interface WebServerFleetProps {
  /** Name of the auto scaling group and prefix of the other names. */
  readonly name: string;
  readonly vpcId: string;
  /** Private subnets the instances run in, one per availability zone. */
  readonly privateSubnetIds: string[];
  /** What must exist before the first instance boots: its subnets' routes to the NAT and S3. @default - nothing */
  readonly privateEgress?: ITerraformDependable[];
  readonly loadBalancer: FleetLoadBalancer;
  /** EC2 instance type; its architecture (x86_64 or arm64) picks the AMI. */
  readonly instanceType: string;
  /** Explicit AMI instead of the newest official Debian 13 image. @default - newest Debian 13 for the architecture */
  readonly amiId?: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Capacity at creation; later applies leave it to the scaling policies. @default minCapacity */
  readonly desiredCapacity?: number;
  /** Average CPU the target-tracking policy holds the group at, in percent. @default - DEFAULTS.fleet.cpuTargetPercent (constants.ts) */
  readonly cpuTargetPercent?: number;
  /** Also track ALB requests per target at this value. @default - CPU only */
  readonly requestsPerTarget?: number;
  /** Root volume size. @default - DEFAULTS.fleet.rootVolumeSizeGiB (constants.ts) */
  readonly rootVolumeSizeGiB?: number;
  /** Seconds after launch before ELB health checks count. @default BOOT_BUDGET_SECONDS (from the measured boot) */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Seconds a new instance needs before its metrics count for scaling. @default BOOT_BUDGET_SECONDS (from the measured boot) */
  readonly instanceWarmupSeconds?: number;
  /** Percentage of capacity above `minCapacity` run on Spot. @default - DEFAULTS.fleet.spotPercentAboveBase (constants.ts) */
  readonly spotPercentAboveBase?: number;
  /** Bucket holding the releases; the instances may read only its release prefix. */
  readonly artifactBucketArn: string;
  /** KMS key of the artifact bucket, if any, for decrypting releases. @default - SSE-S3 */
  readonly artifactKmsKeyArn?: string;
  /**
   * Customer managed KMS key for the root volumes; its key policy must grant the Auto Scaling
   * service-linked role (docs/configuration.md, `fleet.rootVolumeKmsKeyArn`) or launches fail. Never the artifact key.
   * @default - the account's AWS managed EBS key (aws/ebs)
   */
  readonly rootVolumeKmsKeyArn?: string;
  /** Cloud-init user data, plain text; it is gzipped and base64-encoded here. */
  readonly userData: string;
  /** Tags for instances and volumes (the provider's default tags do not reach them). @default {} */
  readonly tags?: Record<string, string>;
  /** Instances provisioned ahead and kept stopped (or running), started on scale-out. @default - no warm pool */
  readonly warmPool?: WarmPoolProps;
}

export interface WarmPoolProps {
  /** Instances kept provisioned in the pool, whatever the group's capacity (min_size = max_group_prepared_capacity). */
  readonly size: number;
  /** What the pooled instances are kept as. @default - DEFAULTS.fleet.warmPoolState (constants.ts) */
  readonly state?: (typeof WARM_POOL_STATES)[number];
  /** Scale-in returns instances to the pool instead of terminating them. @default - DEFAULTS.fleet.warmPoolReuseOnScaleIn (constants.ts) */
  readonly reuseOnScaleIn?: boolean;
}

/** Where the group names its launch template version, for `ignore_changes`: the release step sets it. */
const LAUNCH_TEMPLATE_VERSION = 'launch_template[0].version';
const MIXED_POLICY_VERSION = 'mixed_instances_policy[0].launch_template[0].launch_template_specification[0].version';

/** The instance role, its profile and the policies a first boot needs in place (IAM is eventually consistent). */
interface InstanceRole {
  readonly role: IamRole;
  readonly profile: IamInstanceProfile;
  readonly policies: IamRolePolicy[];
  readonly releaseReadJson: string;
}

/** The launch template and the version a new group starts on. */
interface FleetTemplate {
  readonly template: LaunchTemplate;
  readonly version: string;
}

/** The group's capacity metrics, collected each minute (the group's `enabled_metrics`). */
const COLLECTED_GROUP_METRICS = ['GroupDesiredCapacity', 'GroupInServiceInstances', 'GroupPendingInstances', 'GroupTerminatingInstances', 'GroupTotalInstances'] as const;

/**
 * The instances: IAM role, launch template, auto scaling group, scaling policies. Terraform creates
 * the group on the template's first version and each release's new version; the release step rolls
 * the group onto it with an instance refresh (release/roll-fleet.ts).
 */
export class WebServerFleet extends Construct {
  readonly autoScalingGroupName: string;
  readonly autoScalingGroupArn: string;
  readonly securityGroupId: string;
  readonly launchTemplateId: string;
  readonly roleName: string;
  /** The instance role's inline policy, for review and tests. */
  readonly releaseReadPolicyJson: string;
  /** The group metrics the group collects (AWS publishes AWS/AutoScaling metrics for these only). */
  readonly collectedGroupMetrics: readonly string[] = COLLECTED_GROUP_METRICS;
  /** The target-tracking policy's average CPU target. */
  readonly cpuTargetPercent: number;

  constructor(scope: Construct, id: string, props: WebServerFleetProps) {
    super(scope, id);
    const architecture = validate(this, props);
    const namePrefix = fleetNamePrefix(props.name);
    const securityGroup = this.securityGroup(props, namePrefix);
    const role = this.instanceRole(props, namePrefix);
    const launchTemplate = this.launchTemplate(props, namePrefix, architecture, securityGroup, role);
    const group = this.group(props, launchTemplate, role);
    this.cpuTargetPercent = props.cpuTargetPercent ?? DEFAULTS.fleet.cpuTargetPercent;
    this.scalingPolicies(props, group.name, this.cpuTargetPercent);

    this.autoScalingGroupName = group.name;
    this.autoScalingGroupArn = group.arn;
    this.securityGroupId = securityGroup.id;
    this.launchTemplateId = launchTemplate.template.id;
    this.roleName = role.role.name;
    this.releaseReadPolicyJson = role.releaseReadJson;
  }

  /** In from the load balancer only; out to the package mirrors and AWS APIs over HTTPS only. */
  private securityGroup(props: WebServerFleetProps, namePrefix: string): SecurityGroup {
    const securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix,
      description: 'Web servers: the fleet port from the load balancer only',
      vpcId: props.vpcId,
      lifecycle: { createBeforeDestroy: true },
    });
    new VpcSecurityGroupIngressRule(this, 'FromLoadBalancer', {
      securityGroupId: securityGroup.id,
      description: 'Fleet port from the load balancer',
      ipProtocol: 'tcp',
      fromPort: props.loadBalancer.targetPort,
      toPort: props.loadBalancer.targetPort,
      referencedSecurityGroupId: props.loadBalancer.securityGroupId,
    });
    props.loadBalancer.allowTrafficTo(securityGroup.id);
    // HTTPS only: Debian's EC2 image names its mirrors with https (cloud-init's generated mirror
    // lists, https://cdn-aws.deb.debian.org), the AWS CLI reaches S3 over https, and nothing else
    // leaves an instance. The boot test's root filesystem uses the image's https sources.
    new VpcSecurityGroupEgressRule(this, 'HttpsOut', {
      securityGroupId: securityGroup.id,
      description: 'HTTPS to S3 and the Debian archives',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });
    return securityGroup;
  }

  /** Reads the releases and the Node.js runtimes, and completes its own group's launch hook; nothing else (Debian's images carry no SSM agent). */
  private instanceRole(props: WebServerFleetProps, namePrefix: string): InstanceRole {
    const assumeRole = new DataAwsIamPolicyDocument(this, 'AssumeRolePolicy', {
      statement: [{ effect: 'Allow', actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }] }],
    });
    const role = new IamRole(this, 'Role', { namePrefix, assumeRolePolicy: assumeRole.json });
    const region = new DataAwsRegion(this, 'Region', {});
    const releaseRead = new DataAwsIamPolicyDocument(this, 'ReleaseReadPolicy', {
      statement: [
        {
          sid: 'ReadReleases',
          effect: 'Allow',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: instanceReadableObjects(props.artifactBucketArn),
        },
        // Only for S3 reading this bucket: the key may serve other buckets and services (AWS KMS,
        // "kms:ViaService"; Amazon S3, "Encryption context": with an S3 Bucket Key, which the bucket
        // uses with a KMS key, the context is the bucket's ARN, else the object's).
        ...(props.artifactKmsKeyArn
          ? [
              {
                sid: 'DecryptReleases',
                effect: 'Allow',
                actions: ['kms:Decrypt'],
                resources: [props.artifactKmsKeyArn],
                condition: [
                  { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${region.name}.amazonaws.com`] },
                  {
                    test: 'StringLike',
                    variable: 'kms:EncryptionContext:aws:s3:arn',
                    values: [props.artifactBucketArn, ...instanceReadableObjects(props.artifactBucketArn)],
                  },
                ],
              },
            ]
          : []),
      ],
    });
    const releaseReadPolicy = new IamRolePolicy(this, 'ReleaseRead', { role: role.name, namePrefix: 'release-read-', policy: releaseRead.json });
    // The instance completes its own group's launch hook, nothing else (webapp-lifecycle). The group's
    // ARN holds an id only known once it exists, and the first boot needs this before: the ARN is
    // named by the group's name, its id a wildcard (Service Authorization Reference, EC2 Auto Scaling:
    // CompleteLifecycleAction takes the autoScalingGroup resource type).
    const partition = new DataAwsPartition(this, 'Partition', {});
    const account = new DataAwsCallerIdentity(this, 'Account', {});
    const launchHook = new DataAwsIamPolicyDocument(this, 'LaunchHookPolicy', {
      statement: [
        {
          sid: 'CompleteOwnLaunchHook',
          effect: 'Allow',
          actions: ['autoscaling:CompleteLifecycleAction'],
          resources: [`arn:${partition.partition}:autoscaling:${region.name}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${props.name}`],
        },
      ],
    });
    const launchHookPolicy = new IamRolePolicy(this, 'LaunchHook', { role: role.name, namePrefix: 'launch-hook-', policy: launchHook.json });
    const profile = new IamInstanceProfile(this, 'InstanceProfile', { namePrefix, role: role.name });

    return { role, profile, policies: [releaseReadPolicy, launchHookPolicy], releaseReadJson: releaseRead.json };
  }

  /** The newest Debian 13 image for the architecture (resolved at plan time: instance refresh rollback refuses resolve:ssm: ids), and the template that boots it. */
  private launchTemplate(props: WebServerFleetProps, namePrefix: string, architecture: 'x86_64' | 'arm64', securityGroup: SecurityGroup, role: InstanceRole): FleetTemplate {
    const tags = { Name: props.name, ...props.tags };
    const debianArchitecture = architecture === 'arm64' ? 'arm64' : 'amd64';
    const image = new DataAwsAmi(this, 'Image', {
      mostRecent: true,
      owners: props.amiId ? undefined : [DEBIAN_AMI_OWNER],
      filter: [
        props.amiId
          ? { name: 'image-id', values: [props.amiId] }
          : { name: 'name', values: [`debian-13-${debianArchitecture}-*`] },
        { name: 'architecture', values: [architecture] },
        { name: 'root-device-type', values: ['ebs'] },
      ],
      // The wildcard narrows what AWS returns; the regex keeps release images only.
      nameRegex: props.amiId ? undefined : debianReleaseImageNameRegex(debianArchitecture),
    });

    // A local holds the text, since it carries Terraform references and quotes that a function argument may not.
    const userData = new TerraformLocal(this, 'UserData', escapeTerraformTemplate(props.userData));
    const launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      namePrefix,
      description: 'Debian 13, Apache in front of the NestJS service',
      imageId: image.id,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: role.profile.arn },
      networkInterfaces: [{ associatePublicIpAddress: 'false', deleteOnTermination: 'true', securityGroups: [securityGroup.id] }],
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      blockDeviceMappings: [
        {
          deviceName: image.rootDeviceName,
          ebs: {
            volumeSize: props.rootVolumeSizeGiB ?? DEFAULTS.fleet.rootVolumeSizeGiB,
            volumeType: 'gp3',
            encrypted: 'true',
            kmsKeyId: props.rootVolumeKmsKeyArn,
            deleteOnTermination: 'true',
          },
        },
      ],
      monitoring: { enabled: true }, // one-minute metrics for target tracking
      userData: Fn.base64gzip(userData.asString), // cloud-init unpacks gzip; 16 KB limit
      tagSpecifications: [
        { resourceType: 'instance', tags },
        { resourceType: 'volume', tags },
      ],
      updateDefaultVersion: true,
      // IAM is eventually consistent: the first boot reads the release and completes the hook with these.
      dependsOn: role.policies,
    });
    return { template: launchTemplate, version: Token.asString(launchTemplate.latestVersion) };
  }

  /** The group on the template's first version; the release step owns the version it runs after that. */
  private group(props: WebServerFleetProps, launchTemplate: FleetTemplate, role: InstanceRole): AutoscalingGroup {
    const launchTemplateRef = { id: launchTemplate.template.id, version: launchTemplate.version };

    const spotPercent = props.spotPercentAboveBase ?? DEFAULTS.fleet.spotPercentAboveBase;
    const capacitySource: Partial<AutoscalingGroupConfig> =
      spotPercent > 0
        ? {
            mixedInstancesPolicy: {
              instancesDistribution: {
                onDemandBaseCapacity: props.minCapacity,
                onDemandPercentageAboveBaseCapacity: 100 - spotPercent,
                spotAllocationStrategy: 'price-capacity-optimized',
              },
              launchTemplate: { launchTemplateSpecification: { launchTemplateId: launchTemplateRef.id, version: launchTemplateRef.version } },
            },
          }
        : { launchTemplate: launchTemplateRef };

    const group = new AutoscalingGroup(this, 'Resource', {
      name: props.name,
      vpcZoneIdentifier: props.privateSubnetIds,
      minSize: props.minCapacity,
      maxSize: props.maxCapacity,
      desiredCapacity: props.desiredCapacity ?? props.minCapacity,
      healthCheckType: 'ELB',
      healthCheckGracePeriod: props.healthCheckGracePeriodSeconds ?? BOOT_BUDGET_SECONDS,
      defaultInstanceWarmup: props.instanceWarmupSeconds ?? BOOT_BUDGET_SECONDS,
      targetGroupArns: [props.loadBalancer.targetGroupArn],
      capacityRebalance: true,
      ...capacitySource,
      // Every launch waits for the instance to say it serves (or to give up, ABANDON): a warm pool
      // instance is otherwise stopped mid-install (AWS, "Warm pool instance lifecycle"). Initial, so
      // it exists before the first launch and before the warm pool (the provider creates the group
      // at size 0, puts the hook, then sets the size); changing it replaces the group (ForceNew).
      initialLifecycleHook: [
        {
          name: LAUNCH_LIFECYCLE_HOOK,
          lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          defaultResult: 'ABANDON',
          heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT_SECONDS,
        },
      ],
      ...(props.warmPool && {
        warmPool: {
          poolState: props.warmPool.state ?? DEFAULTS.fleet.warmPoolState,
          // Equal: a pool of exactly `size`, whatever the group's capacity (PutWarmPool, MaxGroupPreparedCapacity).
          minSize: props.warmPool.size,
          maxGroupPreparedCapacity: props.warmPool.size,
          instanceReusePolicy: { reuseOnScaleIn: props.warmPool.reuseOnScaleIn ?? DEFAULTS.fleet.warmPoolReuseOnScaleIn },
        },
      }),
      enabledMetrics: [...COLLECTED_GROUP_METRICS],
      tag: [{ key: 'Name', value: props.name, propagateAtLaunch: true }],
      // Scaling owns the capacity once the group exists; an apply must not reset it. The release step
      // (scripts/release.ts) owns the template version the group runs: Terraform writes a new version
      // and the instance refresh moves the group, so AWS's auto rollback returns to the running one.
      lifecycle: { ignoreChanges: ['desired_capacity', spotPercent > 0 ? MIXED_POLICY_VERSION : LAUNCH_TEMPLATE_VERSION] },
      // An instance that boots before its routes exist never turns healthy (and the policy, as above).
      dependsOn: [...(props.privateEgress ?? []), ...role.policies],
    });

    return group;
  }

  /** Target tracking on average CPU, and on requests per target when asked. */
  private scalingPolicies(props: WebServerFleetProps, groupName: string, cpuTargetPercent: number): void {
    new AutoscalingPolicy(this, 'CpuTarget', {
      name: 'cpu-target',
      autoscalingGroupName: groupName,
      policyType: 'TargetTrackingScaling',
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
        targetValue: cpuTargetPercent,
      },
    });
    if (props.requestsPerTarget !== undefined) {
      new AutoscalingPolicy(this, 'RequestTarget', {
        name: 'requests-per-target',
        autoscalingGroupName: groupName,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: 'ALBRequestCountPerTarget',
            resourceLabel: `${props.loadBalancer.loadBalancerArnSuffix}/${props.loadBalancer.targetGroupArnSuffix}`,
          },
          targetValue: props.requestsPerTarget,
        },
      });
    }
  }
}

/**
 * Terraform reads `${` and `%{` in a string as template syntax; the user data's own (Apache's
 * `${APACHE_LOG_DIR}`, shell variables) are doubled so they reach the instance as written.
 * cdktf's references (`${TfToken[...]}`) are left for cdktf to resolve.
 */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}

function validate(scope: IConstruct, props: WebServerFleetProps): 'x86_64' | 'arm64' {
  if (!known(props.instanceType)) {
    throw new ConfigError('instanceType must be known at synth time, not a Terraform variable: it decides the architecture of the image and of the Node.js runtime', scope);
  }
  const architecture = instanceArchitecture(props.instanceType);
  if (architecture === undefined) {
    throw new ConfigError(`instanceType (${JSON.stringify(props.instanceType)}) must be a general-purpose type whose architecture can be told, such as t3.small or t4g.small`, scope);
  }
  const prefixProblem = known(props.name) ? iamNamePrefixProblem(fleetNamePrefix(props.name)) : undefined;
  if (prefixProblem) throw new ConfigError(`name (${JSON.stringify(props.name)}): the role name prefix ${JSON.stringify(fleetNamePrefix(props.name))} ${prefixProblem}`, scope);
  if (props.amiId !== undefined && known(props.amiId) && !/^ami-[0-9a-f]{8,17}$/.test(props.amiId)) {
    throw new ConfigError(`amiId (${JSON.stringify(props.amiId)}) must look like ami-0123456789abcdef0`, scope);
  }
  if (known(props.minCapacity) && props.minCapacity < 0) throw new ConfigError(`minCapacity (${props.minCapacity}) must not be negative`, scope);
  if (known(props.minCapacity, props.maxCapacity) && props.minCapacity > props.maxCapacity) {
    throw new ConfigError(`minCapacity (${props.minCapacity}) must not exceed maxCapacity (${props.maxCapacity})`, scope);
  }
  if (props.desiredCapacity !== undefined && known(props.desiredCapacity, props.minCapacity, props.maxCapacity) && (props.desiredCapacity < props.minCapacity || props.desiredCapacity > props.maxCapacity)) {
    throw new ConfigError(`desiredCapacity (${props.desiredCapacity}) must lie within [minCapacity, maxCapacity] = [${props.minCapacity}, ${props.maxCapacity}]`, scope);
  }
  const cpu = props.cpuTargetPercent ?? DEFAULTS.fleet.cpuTargetPercent;
  if (known(cpu) && !(cpu > 0 && cpu <= 100)) throw new ConfigError(`cpuTargetPercent (${cpu}) must be above 0 and at most 100`, scope);
  if (known(props.privateSubnetIds) && props.privateSubnetIds.length < 2) {
    throw new ConfigError(`privateSubnetIds lists ${props.privateSubnetIds.length} subnet(s); spread the fleet over at least 2 availability zones`, scope);
  }
  for (const [name, value] of [['healthCheckGracePeriodSeconds', props.healthCheckGracePeriodSeconds], ['instanceWarmupSeconds', props.instanceWarmupSeconds]] as const) {
    if (value !== undefined && known(value) && !(value > 0)) throw new ConfigError(`${name} (${value}) must be a positive number of seconds`, scope);
  }
  if (props.warmPool) validateWarmPool(scope, props.warmPool, props.spotPercentAboveBase ?? DEFAULTS.fleet.spotPercentAboveBase);
  return architecture;
}

function validateWarmPool(scope: IConstruct, pool: WarmPoolProps, spotPercentAboveBase: number): void {
  if (known(pool.size) && (!Number.isInteger(pool.size) || pool.size < 1)) {
    // Also: the provider does not send a min_size of 0, so the old size would stay (terraform-provider-aws issue 44732).
    throw new ConfigError(`warmPool.size (${pool.size}) must be a whole number of at least 1; to have no warm pool, leave warmPool out`, scope);
  }
  if (!known(spotPercentAboveBase) || spotPercentAboveBase > 0) {
    throw new ConfigError(
      `warmPool cannot be used with spotPercentAboveBase (${spotPercentAboveBase}): AWS adds no warm pool to a group with a mixed instances policy or Spot instances (EC2 Auto Scaling User Guide, "Warm pools", limitations)`,
      scope,
    );
  }
  if (pool.state !== undefined && known(pool.state) && !(WARM_POOL_STATES as readonly string[]).includes(pool.state)) {
    throw new ConfigError(`warmPool.state (${JSON.stringify(pool.state)}) must be one of ${WARM_POOL_STATES.join(', ')}`, scope);
  }
  if (pool.state === 'Hibernated') {
    throw new ConfigError(
      'warmPool.state "Hibernated" needs an AMI that supports hibernation, and Debian\'s are not among them (EC2 User Guide, "Prerequisites for EC2 instance hibernation", supported AMIs); use "Stopped", which keeps the install and starts in seconds',
      scope,
    );
  }
}
