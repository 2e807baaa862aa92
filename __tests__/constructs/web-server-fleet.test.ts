import { describe, expect, test } from '@jest/globals';
import { TerraformOutput, TerraformVariable } from 'cdktf';
import { BOOT_BUDGET_SECONDS, LAUNCH_HOOK_HEARTBEAT_SECONDS, LAUNCH_LIFECYCLE_HOOK } from '../../constants.js';
import { ConfigError } from '../../common/config-error.js';
import { WebServerFleet, type WebServerFleetProps } from '../../constructs/web-server-fleet.js';
import { dataOf, onlyResource, resourcesOf, synthScope } from '../synth.js';

const base: WebServerFleetProps = {
  name: 'webapp-dev',
  vpcId: 'vpc-1',
  privateSubnetIds: ['subnet-3', 'subnet-4'],
  loadBalancer: {
    securityGroupId: 'sg-alb',
    targetGroupArn: 'arn:tg',
    targetPort: 80,
    loadBalancerArnSuffix: 'app/lb/1',
    targetGroupArnSuffix: 'targetgroup/tg/2',
    allowTrafficTo: () => undefined,
  },
  instanceType: 't3.small',
  minCapacity: 2,
  maxCapacity: 4,
  artifactBucketArn: 'arn:aws:s3:::artifacts',
  userData: '#cloud-config\n',
};
const synth = (props: Partial<WebServerFleetProps> = {}) => synthScope((scope) => new WebServerFleet(scope, 'Fleet', { ...base, ...props }));

describe('WebServerFleet launch template', () => {
  const template = onlyResource(synth(), 'aws_launch_template');

  test('requires IMDSv2 with a hop limit of 1', () => {
    expect(template.metadata_options).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' });
  });

  test('encrypts the root volume with its own key when given one, never the artifact key', () => {
    const keyed = onlyResource(synth({ artifactKmsKeyArn: 'arn:artifacts', rootVolumeKmsKeyArn: 'arn:volumes' }), 'aws_launch_template');
    expect(keyed.block_device_mappings[0].ebs.kms_key_id).toBe('arn:volumes');
    const artifactsOnly = onlyResource(synth({ artifactKmsKeyArn: 'arn:artifacts' }), 'aws_launch_template');
    expect(artifactsOnly.block_device_mappings[0].ebs.kms_key_id).toBeUndefined();
  });

  test('waits for the instance role policies (IAM is eventually consistent)', () => {
    expect(template.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.\w*ReleaseRead\w*$/), expect.stringMatching(/^aws_iam_role_policy\.\w*LaunchHook\w*$/)]);
  });

  test('encrypts a gp3 root volume', () => {
    expect(template.block_device_mappings).toEqual([
      { device_name: expect.stringMatching(/^\$\{data\.aws_ami\.\w+\.root_device_name\}$/), ebs: { volume_size: 8, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } },
    ]);
  });

  test('has no public address, detailed monitoring, gzipped user data and tagged instances and volumes', () => {
    expect(template.network_interfaces).toEqual([{ associate_public_ip_address: 'false', delete_on_termination: 'true', security_groups: [expect.stringMatching(/aws_security_group/)] }]);
    expect(template.monitoring).toEqual({ enabled: true });
    expect(template.user_data).toMatch(/^\$\{base64gzip\(local\.\w+\)\}$/);
    expect(template.tag_specifications.map((spec: { resource_type: string }) => spec.resource_type)).toEqual(['instance', 'volume']);
    expect(template.key_name).toBeUndefined();
  });

  test('finds the newest official Debian 13 image for the architecture at plan time', () => {
    const [image] = Object.values(dataOf(synth(), 'aws_ami'));
    expect(image).toEqual({
      most_recent: true,
      owners: ['136693071363'],
      filter: [
        { name: 'name', values: ['debian-13-amd64-*'] },
        { name: 'architecture', values: ['x86_64'] },
        { name: 'root-device-type', values: ['ebs'] },
      ],
      name_regex: '^debian-13-amd64-\\d{8}-\\d+$',
    });
    const [graviton] = Object.values(dataOf(synth({ instanceType: 'm7g.large' }), 'aws_ami'));
    expect(graviton.filter.slice(0, 2)).toEqual([{ name: 'name', values: ['debian-13-arm64-*'] }, { name: 'architecture', values: ['arm64'] }]);
    expect(graviton.name_regex).toBe('^debian-13-arm64-\\d{8}-\\d+$');
    expect(template.image_id).toMatch(/^\$\{data\.aws_ami\.\w+\.id\}$/);
  });

  test('takes an explicit AMI, still checked for the architecture', () => {
    const [image] = Object.values(dataOf(synth({ amiId: 'ami-0123456789abcdef0' }), 'aws_ami'));
    expect(image.owners).toBeUndefined();
    expect(image.filter[0]).toEqual({ name: 'image-id', values: ['ami-0123456789abcdef0'] });
    expect(image.filter[1]).toEqual({ name: 'architecture', values: ['x86_64'] });
    expect(image.name_regex).toBeUndefined();
  });
});

describe('WebServerFleet auto scaling group', () => {
  const group = onlyResource(synth({ desiredCapacity: 3 }), 'aws_autoscaling_group');

  test('runs in the private subnets behind the target group with ELB health checks', () => {
    expect(group).toMatchObject({
      vpc_zone_identifier: ['subnet-3', 'subnet-4'],
      min_size: 2,
      max_size: 4,
      desired_capacity: 3,
      health_check_type: 'ELB',
      // The boot budget: 4 x the measured boot + 60 s (constants.ts, BENCHMARKS.md "Boot budget").
      health_check_grace_period: BOOT_BUDGET_SECONDS,
      default_instance_warmup: BOOT_BUDGET_SECONDS,
      target_group_arns: ['arn:tg'],
      capacity_rebalance: true,
    });
  });

  test('pins the launch template to its latest version number, not $Latest', () => {
    expect(group.launch_template).toEqual({
      id: expect.stringMatching(/^\$\{aws_launch_template\.\w+\.id\}$/),
      version: expect.stringMatching(/^\$\{aws_launch_template\.\w+\.latest_version\}$/),
    });
  });

  test('leaves the template version it runs to the release step: no instance refresh from Terraform, the version ignored after creation', () => {
    expect(group.instance_refresh).toBeUndefined();
    expect(group.lifecycle.ignore_changes).toEqual(['desired_capacity', 'launch_template[0].version']);
    const spot = onlyResource(synth({ spotPercentAboveBase: 70 }), 'aws_autoscaling_group');
    expect(spot.lifecycle.ignore_changes).toEqual(['desired_capacity', 'mixed_instances_policy[0].launch_template[0].launch_template_specification[0].version']);
  });

  test('can run Spot above an on-demand base', () => {
    const spot = onlyResource(synth({ spotPercentAboveBase: 70 }), 'aws_autoscaling_group');
    expect(spot.launch_template).toBeUndefined();
    expect(spot.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_base_capacity: 2,
      on_demand_percentage_above_base_capacity: 30,
      spot_allocation_strategy: 'price-capacity-optimized',
    });
  });
});

describe('WebServerFleet scaling', () => {
  test('tracks average CPU at 50% by default', () => {
    expect(onlyResource(synth(), 'aws_autoscaling_policy')).toMatchObject({
      policy_type: 'TargetTrackingScaling',
      target_tracking_configuration: { predefined_metric_specification: { predefined_metric_type: 'ASGAverageCPUUtilization' }, target_value: 50 },
    });
  });

  test('optionally tracks requests per target too', () => {
    const policies = Object.values(resourcesOf(synth({ requestsPerTarget: 800, cpuTargetPercent: 60 }), 'aws_autoscaling_policy'));
    expect(policies.map((policy) => policy.target_tracking_configuration)).toEqual([
      { predefined_metric_specification: { predefined_metric_type: 'ASGAverageCPUUtilization' }, target_value: 60 },
      { predefined_metric_specification: { predefined_metric_type: 'ALBRequestCountPerTarget', resource_label: 'app/lb/1/targetgroup/tg/2' }, target_value: 800 },
    ]);
  });
});

describe('WebServerFleet network and IAM', () => {
  const out = synth();

  test('lets the load balancer in on the fleet port only, and asks the load balancer to open its way out to the fleet', () => {
    const ingress = Object.values(resourcesOf(out, 'aws_vpc_security_group_ingress_rule'));
    expect(ingress).toEqual([expect.objectContaining({ from_port: 80, to_port: 80, ip_protocol: 'tcp', referenced_security_group_id: 'sg-alb' })]);
    const opened = synthScope((scope) => {
      new WebServerFleet(scope, 'Fleet', { ...base, loadBalancer: { ...base.loadBalancer, allowTrafficTo: (id) => new TerraformOutput(scope, 'opened', { value: id }) } });
    });
    expect(opened.output.opened.value).toMatch(/^\$\{aws_security_group\.Fleet_SecurityGroup_\w+\.id\}$/);
    // The fleet writes no rule into the load balancer's security group itself.
    const egress = Object.values(resourcesOf(out, 'aws_vpc_security_group_egress_rule'));
    expect(egress.filter((rule) => rule.security_group_id === 'sg-alb')).toEqual([]);
    // HTTPS out only: the image's Debian mirrors and S3 are https; nothing needs port 80.
    expect(egress.filter((rule) => rule.cidr_ipv4 === '0.0.0.0/0').map((rule) => [rule.from_port, rule.to_port])).toEqual([[443, 443]]);
  });

  test('lets instances read only the release and runtime objects, and nothing for Session Manager (no agent on Debian)', () => {
    const documents = dataOf(out, 'aws_iam_policy_document');
    const releaseRead = Object.entries(documents).find(([name]) => name.includes('ReleaseRead'))![1];
    expect(releaseRead.statement).toEqual([{ sid: 'ReadReleases', effect: 'Allow', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: ['arn:aws:s3:::artifacts/releases/*', 'arn:aws:s3:::artifacts/runtimes/*'] }]);
    expect(dataOf(out, 'aws_iam_policy')).toEqual({});
    expect(resourcesOf(out, 'aws_iam_role_policy_attachment')).toEqual({});
    const assume = Object.entries(documents).find(([name]) => name.includes('AssumeRole'))![1];
    expect(assume.statement[0].principals).toEqual([{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }]);
  });

  test('adds kms:Decrypt on the artifact key when there is one, only through S3 and only for this bucket\'s releases and runtimes', () => {
    const documents = dataOf(synth({ artifactKmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k' }), 'aws_iam_policy_document');
    const releaseRead = Object.entries(documents).find(([name]) => name.includes('ReleaseRead'))![1];
    // AWS KMS condition keys, kms:ViaService and kms:EncryptionContext:<key>; Amazon S3, SSE-KMS encryption
    // context (aws:s3:arn: the bucket's ARN with an S3 Bucket Key, the object's without).
    expect(releaseRead.statement[1]).toEqual({
      sid: 'DecryptReleases',
      effect: 'Allow',
      actions: ['kms:Decrypt'],
      resources: ['arn:aws:kms:eu-west-1:111111111111:key/k'],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: [expect.stringMatching(/^s3\.\$\{data\.aws_region\.\w+\.name\}\.amazonaws\.com$/)] },
        { test: 'StringLike', variable: 'kms:EncryptionContext:aws:s3:arn', values: ['arn:aws:s3:::artifacts', 'arn:aws:s3:::artifacts/releases/*', 'arn:aws:s3:::artifacts/runtimes/*'] },
      ],
    });
  });
});

describe('WebServerFleet launch hook and warm pool', () => {
  test('every launch waits on the launch hook, created with the group, abandoned when its fixed heartbeat runs out (a grace period change does not touch it)', () => {
    const group = onlyResource(synth({ healthCheckGracePeriodSeconds: 300 }), 'aws_autoscaling_group');
    expect(group.initial_lifecycle_hook).toEqual([
      { name: LAUNCH_LIFECYCLE_HOOK, lifecycle_transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', default_result: 'ABANDON', heartbeat_timeout: LAUNCH_HOOK_HEARTBEAT_SECONDS },
    ]);
    expect(group.warm_pool).toBeUndefined();
    expect(group.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.\w*LaunchHook\w*$/)]));
  });

  test('a warm pool of exactly its size, stopped by default, reused on scale-in when asked', () => {
    expect(onlyResource(synth({ warmPool: { size: 2 } }), 'aws_autoscaling_group').warm_pool).toEqual({
      pool_state: 'Stopped',
      min_size: 2,
      max_group_prepared_capacity: 2,
      instance_reuse_policy: { reuse_on_scale_in: false },
    });
    expect(onlyResource(synth({ warmPool: { size: 1, state: 'Running', reuseOnScaleIn: true } }), 'aws_autoscaling_group').warm_pool).toMatchObject({
      pool_state: 'Running',
      instance_reuse_policy: { reuse_on_scale_in: true },
    });
  });
});

describe('WebServerFleet validation', () => {
  test.each<[string, Partial<WebServerFleetProps>, string]>([
    ['min above max', { minCapacity: 5, maxCapacity: 3 }, 'minCapacity (5) must not exceed maxCapacity (3)'],
    ['desired below min', { desiredCapacity: 1 }, 'desiredCapacity (1) must lie within [minCapacity, maxCapacity] = [2, 4]'],
    ['desired above max', { desiredCapacity: 5 }, 'desiredCapacity (5) must lie within [minCapacity, maxCapacity] = [2, 4]'],
    ['negative min', { minCapacity: -1 }, 'minCapacity (-1) must not be negative'],
    ['a zero CPU target', { cpuTargetPercent: 0 }, 'cpuTargetPercent (0) must be above 0 and at most 100'],
    ['a CPU target above 100', { cpuTargetPercent: 101 }, 'cpuTargetPercent (101) must be above 0 and at most 100'],
    ['a GPU instance type', { instanceType: 'g5.xlarge' }, 'instanceType ("g5.xlarge") must be a general-purpose type whose architecture can be told, such as t3.small or t4g.small'],
    ['a malformed AMI id', { amiId: 'ami-xyz' }, 'amiId ("ami-xyz") must look like ami-0123456789abcdef0'],
    ['one subnet', { privateSubnetIds: ['subnet-3'] }, 'privateSubnetIds lists 1 subnet(s); spread the fleet over at least 2 availability zones'],
    ['a zero grace period', { healthCheckGracePeriodSeconds: 0 }, 'healthCheckGracePeriodSeconds (0) must be a positive number of seconds'],
    ['a negative warmup', { instanceWarmupSeconds: -5 }, 'instanceWarmupSeconds (-5) must be a positive number of seconds'],
    ['an empty warm pool', { warmPool: { size: 0 } }, 'warmPool.size (0) must be a whole number of at least 1; to have no warm pool, leave warmPool out'],
    [
      'a warm pool with Spot',
      { warmPool: { size: 1 }, spotPercentAboveBase: 50 },
      'warmPool cannot be used with spotPercentAboveBase (50): AWS adds no warm pool to a group with a mixed instances policy or Spot instances (EC2 Auto Scaling User Guide, "Warm pools", limitations)',
    ],
    ['an unknown pool state', { warmPool: { size: 1, state: 'Asleep' as 'Stopped' } }, 'warmPool.state ("Asleep") must be one of Stopped, Running, Hibernated'],
    [
      'a hibernated pool',
      { warmPool: { size: 1, state: 'Hibernated' } },
      'warmPool.state "Hibernated" needs an AMI that supports hibernation, and Debian\'s are not among them (EC2 User Guide, "Prerequisites for EC2 instance hibernation", supported AMIs); use "Stopped", which keeps the install and starts in seconds',
    ],
    [
      'a name too long for the role prefix',
      { name: 'a'.repeat(34) },
      `name ("${'a'.repeat(34)}"): the role name prefix "${'a'.repeat(34)}-web-" has 39 characters; an IAM role name prefix may have at most 38 (names are at most 64, the provider adds 26)`,
    ],
  ])('refuses %s', (_case, props, message) => {
    expect(() => synth(props)).toThrow(new ConfigError(`stack/Fleet: ${message}`));
  });

  test('skips what is known only at deploy time (Terraform variables), as aws-cdk does, and passes it through', () => {
    const out = synthScope((scope) => {
      const deployTime = (name: string) => new TerraformVariable(scope, name, { type: 'number' }).numberValue;
      new WebServerFleet(scope, 'Fleet', {
        ...base,
        minCapacity: deployTime('min'),
        maxCapacity: deployTime('max'),
        desiredCapacity: deployTime('desired'),
        cpuTargetPercent: deployTime('cpu'),
        healthCheckGracePeriodSeconds: deployTime('grace'),
        warmPool: { size: deployTime('pool') },
      });
    });
    const group = onlyResource(out, 'aws_autoscaling_group');
    expect([group.min_size, group.max_size, group.desired_capacity]).toEqual(['${var.min}', '${var.max}', '${var.desired}']);
    expect(group.warm_pool).toEqual(expect.objectContaining({ min_size: '${var.pool}' }));
    // AND no number token leaked as its encoded double into a string
    expect(JSON.stringify(out)).not.toMatch(/e\+\d{3}/);
  });

  test('refuses an instance type known only at deploy time: the image and the runtime are chosen by its architecture at synth time', () => {
    expect(() => synthScope((scope) => new WebServerFleet(scope, 'Fleet', { ...base, instanceType: new TerraformVariable(scope, 'type', { type: 'string' }).stringValue }))).toThrow(
      new ConfigError('stack/Fleet: instanceType must be known at synth time, not a Terraform variable: it decides the architecture of the image and of the Node.js runtime'),
    );
  });
});

describe('WebServerFleet user data', () => {
  test("doubles the user data's own template markers so Terraform passes them through, and keeps references", () => {
    const out = synthScope((scope) => {
      const other = new WebServerFleet(scope, 'Other', { ...base, name: 'other' });
      new WebServerFleet(scope, 'Fleet', { ...base, userData: `Define LOG \${APACHE_LOG_DIR}\nLogFormat "%{Referer}i"\nROLE=${other.roleName}\n` });
    });
    const local = Object.entries(out.locals).find(([name]) => name.startsWith('Fleet_'))![1];
    expect(local).toBe('Define LOG $${APACHE_LOG_DIR}\nLogFormat "%%{Referer}i"\nROLE=${aws_iam_role.Other_Role_EC60A981.name}\n');
  });
});
