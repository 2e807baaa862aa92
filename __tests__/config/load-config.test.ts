import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../config/load-config.js';
import { BOOT_BUDGET_SECONDS, DEFAULTS } from '../../constants.js';
import { ConfigError } from '../../common/config-error.js';

const project = { project: 'webapp', region: 'eu-west-1', stateBucketName: 'webapp-state' };
const environment = { fleet: { instanceType: 't3.small', minCapacity: 2, maxCapacity: 4 } };

/** Writes a config directory and returns its path. */
function writeConfig(files: Record<string, unknown>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'config-')), 'config');
  mkdirSync(join(dir, 'environments'), { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('loadConfig', () => {
  test('reads the project and every environment, applying defaults', () => {
    const config = loadConfig(writeConfig({ 'project.json': project, 'environments/dev.json': environment, 'environments/prod.json': { ...environment, production: true } }));
    expect(config.project).toEqual(project);
    expect(config.environments.map((env) => env.name)).toEqual(['dev', 'prod']);
    // Every default from its one home (constants.ts, DEFAULTS), filled in by the schema
    expect(config.environments[0].settings).toEqual({
      production: false,
      network: { mode: 'new', vpcCidr: DEFAULTS.network.vpcCidr, availabilityZoneCount: DEFAULTS.network.availabilityZoneCount, natGatewayPerAz: DEFAULTS.network.natGatewayPerAz },
      fleet: {
        instanceType: 't3.small',
        minCapacity: 2,
        maxCapacity: 4,
        cpuTargetPercent: DEFAULTS.fleet.cpuTargetPercent,
        rootVolumeSizeGiB: DEFAULTS.fleet.rootVolumeSizeGiB,
        healthCheckGracePeriodSeconds: BOOT_BUDGET_SECONDS,
        instanceWarmupSeconds: BOOT_BUDGET_SECONDS,
        spotPercentAboveBase: DEFAULTS.fleet.spotPercentAboveBase,
      },
      loadBalancer: DEFAULTS.loadBalancer,
      artifacts: DEFAULTS.artifacts,
      alarms: {},
      service: DEFAULTS.service,
    });
  });

  test('keeps only the environment ENV names', () => {
    const config = loadConfig(writeConfig({ 'project.json': project, 'environments/dev.json': environment, 'environments/prod.json': environment }), 'prod');
    expect(config.environments.map((env) => env.name)).toEqual(['prod']);
  });

  test('reads the repository configuration', () => {
    const config = loadConfig(join(import.meta.dirname, '..', '..', 'config'));
    expect(config.environments.map((env) => env.name)).toEqual(['dev', 'prod']);
  });
});

const fleet = environment.fleet;
const ENV = 'config/environments/dev.json';
const PROJECT = 'config/project.json';

describe('loadConfig refuses bad input, naming the file, the field, the value and the rule', () => {
  test.each<[string, Record<string, unknown>, string]>([
    ['min above max', { fleet: { ...fleet, minCapacity: 5, maxCapacity: 3 } }, `${ENV}: fleet.minCapacity = 5: must not exceed fleet.maxCapacity (3)`],
    ['desired below min', { fleet: { ...fleet, desiredCapacity: 1 } }, `${ENV}: fleet.desiredCapacity = 1: must lie within fleet.minCapacity and fleet.maxCapacity [2, 4]`],
    ['desired above max', { fleet: { ...fleet, desiredCapacity: 9 } }, `${ENV}: fleet.desiredCapacity = 9: must lie within fleet.minCapacity and fleet.maxCapacity [2, 4]`],
    ['a zero CPU target', { fleet: { ...fleet, cpuTargetPercent: 0 } }, `${ENV}: fleet.cpuTargetPercent = 0: must be above 0 and at most 100`],
    ['a CPU target above 100', { fleet: { ...fleet, cpuTargetPercent: 100.5 } }, `${ENV}: fleet.cpuTargetPercent = 100.5: must be above 0 and at most 100`],
    ['one availability zone', { ...environment, network: { mode: 'new', availabilityZoneCount: 1 } }, `${ENV}: network.availabilityZoneCount = 1: must be 2 or 3 (the load balancer needs at least 2 availability zones)`],
    [
      'one subnet',
      { ...environment, network: { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-00000001'], privateSubnetIds: ['subnet-00000002'] } },
      `${ENV}: network.publicSubnetIds = ["subnet-00000001"]: must list at least 2 subnets, in different availability zones\n  ` +
        `${ENV}: network.privateSubnetIds = ["subnet-00000002"]: must list at least 2 subnets, in different availability zones`,
    ],
    [
      'unmatched subnet counts',
      { ...environment, network: { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-00000001', 'subnet-00000002'], privateSubnetIds: ['subnet-00000003', 'subnet-00000004', 'subnet-00000005'] } },
      `${ENV}: network.privateSubnetIds = ["subnet-00000003","subnet-00000004","subnet-00000005"]: must list as many subnets as publicSubnetIds (one public and one private subnet per availability zone)`,
    ],
    ['a malformed subnet id', { ...environment, network: { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-1', 'subnet-00000002'], privateSubnetIds: ['subnet-00000003', 'subnet-00000004'] } }, `${ENV}: network.publicSubnetIds.0 = "subnet-1": must be a subnet id such as subnet-0123456789abcdef0`],
    ['an unknown network mode', { ...environment, network: { mode: 'shared' } }, `${ENV}: network.mode = "shared": must have mode "new" or "existing"`],
    [
      'an instance type whose architecture cannot be told',
      { fleet: { ...fleet, instanceType: 'p5.48xlarge' } },
      `${ENV}: fleet.instanceType = "p5.48xlarge": must be a general-purpose EC2 instance type whose architecture can be told, such as t3.small (x86_64) or t4g.small (arm64)`,
    ],
    ['a domain outside its hosted zone', { ...environment, dns: { hostedZoneName: 'example.com', domainName: 'www.example.org' } }, `${ENV}: dns.domainName = "www.example.org": must be the hosted zone name or a name inside it`],
    ['a malformed domain', { ...environment, dns: { hostedZoneName: 'example.com', domainName: 'WWW.example.com' } }, `${ENV}: dns.domainName = "WWW.example.com": must be a lower-case DNS name such as app.example.com`],
    ['a malformed CIDR', { ...environment, network: { mode: 'new', vpcCidr: '10.0.0.0/33' } }, `${ENV}: network.vpcCidr = "10.0.0.0/33": must be an IPv4 CIDR block such as 10.0.0.0/16 with a prefix of /16 to /24`],
    ['a CIDR with host bits', { ...environment, network: { mode: 'new', vpcCidr: '10.0.0.1/16' } }, `${ENV}: network.vpcCidr = "10.0.0.1/16": must be an IPv4 CIDR block such as 10.0.0.0/16 with a prefix of /16 to /24`],
    ['a malformed AMI id', { fleet: { ...fleet, amiId: 'ami-123' } }, `${ENV}: fleet.amiId = "ami-123": must be an AMI id such as ami-0123456789abcdef0`],
    ['a zero idle timeout', { ...environment, loadBalancer: { idleTimeoutSeconds: 0 } }, `${ENV}: loadBalancer.idleTimeoutSeconds = 0: must be a positive number of seconds`],
    ['a negative shutdown timeout', { ...environment, service: { shutdownTimeoutSeconds: -5 } }, `${ENV}: service.shutdownTimeoutSeconds = -5: must be a positive number of seconds`],
    ['an unknown HTTP platform', { ...environment, service: { httpPlatform: 'koa' } }, `${ENV}: service.httpPlatform = "koa": must be one of express, fastify`],
    ['a fractional grace period', { fleet: { ...fleet, healthCheckGracePeriodSeconds: 1.5 } }, `${ENV}: fleet.healthCheckGracePeriodSeconds = 1.5: must be a whole number of seconds`],
    ['a bad alarm email', { ...environment, alarms: { email: 'ops' } }, `${ENV}: alarms.email = "ops": must be an email address`],
    ['an empty warm pool', { fleet: { ...fleet, warmPool: { size: 0 } } }, `${ENV}: fleet.warmPool.size = 0: must be at least 1; to have no warm pool, leave fleet.warmPool out`],
    // Source: EC2 User Guide, "Prerequisites for EC2 instance hibernation": Debian is not among the supported AMIs.
    [
      'a hibernated warm pool',
      { fleet: { ...fleet, warmPool: { size: 1, state: 'Hibernated' } } },
      `${ENV}: fleet.warmPool.state = "Hibernated": cannot be Hibernated: Debian's AMIs do not support hibernation (EC2 User Guide, "Prerequisites for EC2 instance hibernation"); use Stopped`,
    ],
    // Source: EC2 Auto Scaling User Guide, "Warm pools", limitations: no warm pool with a mixed instances policy or Spot.
    [
      'a warm pool with Spot',
      { fleet: { ...fleet, spotPercentAboveBase: 20, warmPool: { size: 1 } } },
      `${ENV}: fleet.warmPool = {"size":1}: cannot be used with fleet.spotPercentAboveBase (20): AWS adds no warm pool to a group with Spot instances (EC2 Auto Scaling User Guide, "Warm pools", limitations)`,
    ],
    ['a misspelt field', { ...environment, loadbalancer: {} }, `${ENV}: (file) = {"loadbalancer":{}}: unknown field(s) loadbalancer`],
    ['a missing fleet', {}, `${ENV}: fleet = (missing): must be a object`],
    ['a capacity given as text', { fleet: { ...fleet, maxCapacity: '4' } }, `${ENV}: fleet.maxCapacity = "4": must be a number`],
    // Source: ALBRequestCountPerTarget counts requests per target per minute (CloudWatch's ELB metrics, 60-second periods).
    [
      'a request target written per second',
      { fleet: { ...fleet, requestsPerTarget: 1000 } },
      `${ENV}: fleet.requestsPerTarget = 1000: counts requests per instance per minute; must be at least 6000 (100 per second: an instance serves thousands, see BENCHMARKS.md)`,
    ],
    ['a malformed root volume key', { fleet: { ...fleet, rootVolumeKmsKeyArn: 'alias/ebs' } }, `${ENV}: fleet.rootVolumeKmsKeyArn = "alias/ebs": must be a KMS key ARN`],
    [
      'a subnet listed twice',
      { ...environment, network: { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-00000001', 'subnet-00000001'], privateSubnetIds: ['subnet-00000003', 'subnet-00000004'] } },
      `${ENV}: network.publicSubnetIds = ["subnet-00000001","subnet-00000001"]: must not list subnet-00000001 twice (one subnet per availability zone)`,
    ],
    [
      'a subnet both public and private',
      { ...environment, network: { mode: 'existing', vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-00000001', 'subnet-00000002'], privateSubnetIds: ['subnet-00000002', 'subnet-00000004'] } },
      `${ENV}: network.privateSubnetIds = ["subnet-00000002","subnet-00000004"]: must not list subnet-00000002, which publicSubnetIds lists too (instances stay out of the public subnets)`,
    ],
  ])('%s', (_case, env, message) => {
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': env });
    expect(() => loadConfig(dir)).toThrow(new ConfigError(`invalid configuration:\n  ${message}`));
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['an invalid region', { ...project, region: 'eu-middle-1' }, `${PROJECT}: region = "eu-middle-1": must be an AWS region such as eu-west-1`],
    ['a bad project name', { ...project, project: 'Web App' }, `${PROJECT}: project = "Web App": must be 2-20 characters: lower-case letters, digits and hyphens, starting with a letter`],
    ['a break-glass principal that is not an IAM ARN', { ...project, stateBreakGlassPrincipalArns: ['admin'] }, `${PROJECT}: stateBreakGlassPrincipalArns.0 = "admin": must be an IAM role, user or root ARN such as arn:aws:iam::123456789012:role/state-break-glass`],
    ['an empty break-glass list', { ...project, stateBreakGlassPrincipalArns: [] }, `${PROJECT}: stateBreakGlassPrincipalArns = []: must name at least one principal, or be left out (the root user only)`],
    ['a bad state bucket name', { ...project, stateBucketName: 'State_Bucket' }, `${PROJECT}: stateBucketName = "State_Bucket": must use only lower-case letters, digits, dots and hyphens (S3's bucket naming rules)`],
    // Source: S3 user guide, "General purpose bucket naming rules".
    ['a state bucket name too short', { ...project, stateBucketName: 'ab' }, `${PROJECT}: stateBucketName = "ab": must be 3-63 characters long (has 2) (S3's bucket naming rules)`],
    ['a state bucket name ending in a hyphen', { ...project, stateBucketName: 'state-' }, `${PROJECT}: stateBucketName = "state-": must begin and end with a lower-case letter or digit (S3's bucket naming rules)`],
    ['adjacent periods', { ...project, stateBucketName: 'state..bucket' }, `${PROJECT}: stateBucketName = "state..bucket": must not contain two adjacent periods (S3's bucket naming rules)`],
    ['an IP address', { ...project, stateBucketName: '192.168.5.4' }, `${PROJECT}: stateBucketName = "192.168.5.4": must not be formatted as an IP address (S3's bucket naming rules)`],
    ...['xn--state', 'sthree-state', 'amzn-s3-demo-state'].map((name): [string, Record<string, unknown>, string] => [
      `the reserved prefix of ${name}`,
      { ...project, stateBucketName: name },
      `${PROJECT}: stateBucketName = "${name}": must not begin with "${name.replace(/state$/, '')}" (S3 reserves xn--, sthree-, amzn-s3-demo-) (S3's bucket naming rules)`,
    ]),
    ...['state-s3alias', 'state--ol-s3', 'state.mrap', 'state--x-s3', 'state--table-s3'].map((name): [string, Record<string, unknown>, string] => [
      `the reserved suffix of ${name}`,
      { ...project, stateBucketName: name },
      `${PROJECT}: stateBucketName = "${name}": must not end with "${name.slice('state'.length)}" (S3 reserves -s3alias, --ol-s3, .mrap, --x-s3, --table-s3) (S3's bucket naming rules)`,
    ]),
    // A well-formed name that is no region the pinned provider knows.
    ['an unknown region', { ...project, region: 'eu-west-9' }, `${PROJECT}: region = "eu-west-9": must be an AWS region such as eu-west-1`],
    [
      'a project name the load balancer may not begin with',
      { ...project, project: 'internal-app' },
      `${PROJECT}: project = "internal-app": with environment "dev" (${ENV}), the load balancer name "internal-app-dev" must not begin with "internal-" (Elastic Load Balancing reserves it)`,
    ],
    [
      'a project name S3 reserves',
      { ...project, project: 'xn--app' },
      `${PROJECT}: project = "xn--app": with environment "dev" (${ENV}), the artifact bucket prefix "xn--app-dev-artifacts-" must not begin with "xn--" (S3 reserves xn--, sthree-, amzn-s3-demo-)\n  ` +
        `${PROJECT}: project = "xn--app": with environment "dev" (${ENV}), the access-log bucket prefix "xn--app-dev-logs-" must not begin with "xn--" (S3 reserves xn--, sthree-, amzn-s3-demo-)`,
    ],
    [
      'a project name EC2 reserves for security groups',
      { ...project, project: 'sg-app' },
      `${PROJECT}: project = "sg-app": with environment "dev" (${ENV}), the security group name prefix "sg-app-dev-web-" must not begin with "sg-" (EC2 reserves it for security group ids)`,
    ],
  ])('%s', (_case, projectFile, message) => {
    const dir = writeConfig({ 'project.json': projectFile, 'environments/dev.json': environment });
    expect(() => loadConfig(dir)).toThrow(new ConfigError(`invalid configuration:\n  ${message}`));
  });

  test('the longest project and environment names, whose artifact bucket prefix exceeds what S3 and the provider allow', () => {
    // Source: the provider's aws_s3_bucket takes a bucket_prefix of at most 37 characters (63 less its suffix).
    const dir = writeConfig({ 'project.json': { ...project, project: 'a-twenty-character-p' }, 'environments/production.json': environment });
    expect(() => loadConfig(dir)).toThrow(
      new ConfigError(
        'invalid configuration:\n  config/project.json: project = "a-twenty-character-p": with environment "production" (config/environments/production.json), ' +
          'the artifact bucket prefix "a-twenty-character-p-production-artifacts-" has 42 characters; a bucket name prefix may have at most 37 (the provider adds a 26-character suffix to reach S3\'s 63)',
      ),
    );
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'an artifact key in another region',
      { ...environment, artifacts: { kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' } },
      `${ENV}: artifacts.kmsKeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": must be a key in the project's region eu-west-1 (${PROJECT}); KMS keys do not cross regions`,
    ],
    [
      'a root volume key in another region',
      { fleet: { ...fleet, rootVolumeKmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' } },
      `${ENV}: fleet.rootVolumeKmsKeyArn = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": must be a key in the project's region eu-west-1 (${PROJECT}); KMS keys do not cross regions`,
    ],
  ])('%s', (_case, env, message) => {
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': env });
    expect(() => loadConfig(dir)).toThrow(new ConfigError(`invalid configuration:\n  ${message}`));
  });

  test('a file far larger than any configuration, without reading it', () => {
    const content = JSON.stringify({ ...environment, padding: 'x'.repeat(100_000) });
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': content });
    expect(() => loadConfig(dir)).toThrow(new ConfigError(`invalid configuration:\n  ${ENV}: (file) is ${Buffer.byteLength(content)} bytes: a configuration file may have at most 65536`));
  });

  test('deeply nested JSON: the usual message, the value cut to a readable length', () => {
    const depth = 30_000;
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': `{"fleet": ${'['.repeat(depth)}${']'.repeat(depth)}}` });
    expect(() => loadConfig(dir)).toThrow(new ConfigError(`invalid configuration:\n  ${ENV}: fleet = ${'['.repeat(100)}… (cut): must be a object`));
  });

  test('a long value is cut in the message', () => {
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': { fleet: { ...fleet, instanceType: 'x'.repeat(5000) } } });
    expect(() => loadConfig(dir)).toThrow(
      new ConfigError(`invalid configuration:\n  ${ENV}: fleet.instanceType = "${'x'.repeat(99)}… (cut): must be a general-purpose EC2 instance type whose architecture can be told, such as t3.small (x86_64) or t4g.small (arm64)`),
    );
  });

  test('an unknown environment', () => {
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': environment, 'environments/prod.json': environment });
    expect(() => loadConfig(dir, 'staging')).toThrow(new ConfigError('invalid configuration:\n  ENV = "staging": unknown environment; expected one of dev, prod'));
  });

  test('a badly named environment file', () => {
    const dir = writeConfig({ 'project.json': project, 'environments/Prod-EU.json': environment });
    expect(() => loadConfig(dir)).toThrow(
      new ConfigError('invalid configuration:\n  config/environments/Prod-EU.json: environment name "Prod-EU" must be 2-10 lower-case letters and digits, starting with a letter'),
    );
  });

  test('a file that is not JSON', () => {
    const dir = writeConfig({ 'project.json': project, 'environments/dev.json': '{ fleet: ' });
    expect(() => loadConfig(dir)).toThrow(/^invalid configuration:\n {2}config\/environments\/dev\.json: .*JSON/);
  });

  test('every problem at once', () => {
    const dir = writeConfig({ 'project.json': { ...project, region: 'nowhere' }, 'environments/dev.json': { fleet: { ...fleet, minCapacity: 9 } } });
    expect(() => loadConfig(dir)).toThrow(
      new ConfigError(
        `invalid configuration:\n  ${PROJECT}: region = "nowhere": must be an AWS region such as eu-west-1\n  ${ENV}: fleet.minCapacity = 9: must not exceed fleet.maxCapacity (4)`,
      ),
    );
  });
});
