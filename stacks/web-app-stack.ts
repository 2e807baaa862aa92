import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Aspects, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load-config.js';
import { environmentResourceName } from '../config/resource-names.js';
import type { EnvironmentSettings, ProjectSettings } from '../config/schema.js';
import { APACHE_BALANCER_MANAGER_PORT, APACHE_PORT, LAUNCH_LIFECYCLE_HOOK, SERVICE_PORT_BASES, TAG_KEYS, WORKER_MEMORY_MAX_MEGABYTES } from '../constants.js';
import {
  Alarms,
  ArtifactBucket,
  artifactBucketPrefix,
  ConfigError,
  Dashboard,
  DnsAlias,
  instanceArchitecture,
  instanceReadableObjects,
  LoadBalancer,
  Network,
  type NetworkProps,
  NodeRuntime,
  ServiceRelease,
  WebServerFleet,
  type WebServerFleetProps,
} from '../constructs/index.js';
import type { BuiltRuntime } from '../release/node-runtime.js';
import { renderUserData } from '../provisioning/render-user-data.js';
import { EMULATOR_AMI_IDS, EmulatorGaps, emulatorProviderSettings, type LocalEmulator } from './local-emulator.js';
import { keepStateInBucket } from './s3-state.js';
import { requireTerraformVersion } from './terraform-version.js';

/** The Terraform variable behind the load balancer's deletion protection (scripts/stack.sh delete sets it). */
export const DELETION_PROTECTION_VARIABLE = 'deletion_protection';

/** The built service release that this stack ships. */
export interface BuiltRelease {
  /** Absolute path of dist/release.zip. */
  readonly archivePath: string;
  readonly releaseId: string;
  /** The lowest Node.js version the release runs on (its manifest says). */
  readonly minimumNodeVersion: string;
}

export interface WebAppStackProps {
  readonly project: ProjectSettings;
  readonly environment: EnvironmentConfig;
  readonly release: BuiltRelease;
  /** The Node.js runtime tarball for the fleet's architecture (dist/runtime/). */
  readonly runtime: BuiltRuntime;
  /** Local mode: every AWS call and the state go to this emulator. @default - real AWS */
  readonly emulator?: LocalEmulator;
}

/** One environment of the site: network, release bucket, load balancer, fleet, DNS and alarms. */
export class WebAppStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: WebAppStackProps) {
    super(scope, id);
    const { project, environment } = props;
    const settings = environment.settings;
    const name = environmentResourceName(project.project, environment.name);
    const tags = { [TAG_KEYS.project]: project.project, [TAG_KEYS.environment]: environment.name, [TAG_KEYS.managedBy]: 'cdktf' };

    requireTerraformVersion(this);
    new AwsProvider(this, 'aws', { region: project.region, defaultTags: [{ tags }], ...(props.emulator && emulatorProviderSettings(props.emulator)) });
    keepStateInBucket(this, project, `${project.project}/${environment.name}/terraform.tfstate`, props.emulator);

    // The emulator cannot wait for a subnet's IPv6 block (moto lacks DescribeSubnets' association-id
    // filter and answers 500, which the provider retries for many minutes): IPv4 only in local mode.
    const dualStack = (settings.dns?.dualStack ?? false) && !props.emulator;
    const network = new Network(this, 'Network', networkProps(settings.network, dualStack));
    const artifacts = new ArtifactBucket(this, 'Artifacts', {
      bucketPrefix: artifactBucketPrefix(name),
      kmsKeyArn: settings.artifacts.kmsKeyArn,
      noncurrentVersionExpirationDays: settings.artifacts.noncurrentVersionExpirationDays,
      denyInsecureTransport: !props.emulator,
    });
    const release = new ServiceRelease(this, 'Release', {
      bucketName: artifacts.bucketName,
      archivePath: props.release.archivePath,
      releaseId: props.release.releaseId,
      bucketSettings: artifacts.objectSettings,
    });
    if (props.runtime.architecture !== instanceArchitecture(settings.fleet.instanceType)) {
      throw new ConfigError(`the Node.js runtime is built for ${props.runtime.architecture}, and fleet.instanceType ${settings.fleet.instanceType} is not: pass the runtime of its architecture`, this);
    }
    // The instances read the release and the runtime through the S3 endpoint, and nothing else.
    network.limitS3EndpointTo(instanceReadableObjects(artifacts.bucketArn));
    const runtime = new NodeRuntime(this, 'Runtime', {
      bucketName: artifacts.bucketName,
      archivePath: props.runtime.archivePath,
      archiveSha256: props.runtime.sha256,
      version: props.runtime.version,
      architecture: props.runtime.architecture,
      minimumVersion: props.release.minimumNodeVersion,
      bucketSettings: artifacts.objectSettings,
    });

    // A variable, so that `make delete_stack` can switch the protection off (a targeted apply) before destroying.
    const deletionProtection = new TerraformVariable(this, DELETION_PROTECTION_VARIABLE, {
      type: 'bool',
      default: settings.loadBalancer.deletionProtection ?? settings.production,
      description: 'Refuse deletion of the load balancer through the API; make delete_stack sets it to false first',
    });

    const dns = settings.dns ? new DnsAlias(this, 'Dns', { hostedZoneName: settings.dns.hostedZoneName, domainName: settings.dns.domainName }) : undefined;
    const loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      name,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      publicRouting: network.publicRouting,
      targetPort: APACHE_PORT,
      idleTimeoutSeconds: settings.loadBalancer.idleTimeoutSeconds,
      deletionProtection: deletionProtection.booleanValue,
      accessLogs: settings.loadBalancer.accessLogs ?? settings.production,
      // Production's logs outlive the stack until their retention ends; make delete_stack leaves their bucket.
      keepAccessLogs: settings.production,
      accessLogRetentionDays: settings.loadBalancer.accessLogRetentionDays,
      denyInsecureTransport: !props.emulator,
      certificateArn: dns?.certificateArn,
      dualStack,
      deregistrationDelaySeconds: settings.service.shutdownTimeoutSeconds,
    });
    dns?.aliasTo(loadBalancer);

    const fleet = new WebServerFleet(this, 'Fleet', {
      name,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      privateEgress: network.privateEgress,
      loadBalancer,
      ...fleetProps(settings.fleet),
      // The emulator has no Debian images; local mode names one of its own for the architecture.
      amiId: props.emulator ? EMULATOR_AMI_IDS[instanceArchitecture(settings.fleet.instanceType)!] : settings.fleet.amiId,
      artifactBucketArn: artifacts.bucketArn,
      artifactKmsKeyArn: artifacts.kmsKeyArn,
      userData: renderUserData({
        region: project.region,
        bucketName: artifacts.bucketName,
        objectKey: release.objectKey,
        objectVersionId: release.objectVersionId,
        releaseId: release.releaseId,
        archiveSha256: release.archiveSha256,
        runtime: { objectKey: runtime.objectKey, objectVersionId: runtime.objectVersionId, sha256: runtime.archiveSha256, version: runtime.version },
        portBases: SERVICE_PORT_BASES,
        apachePort: APACHE_PORT,
        balancerManagerPort: APACHE_BALANCER_MANAGER_PORT,
        loadBalancerIdleTimeoutSeconds: settings.loadBalancer.idleTimeoutSeconds,
        shutdownTimeoutSeconds: settings.service.shutdownTimeoutSeconds,
        httpPlatform: settings.service.httpPlatform,
        trustedProxyCidrs: network.publicSubnetCidrBlocks,
        workerMemoryMaxMegabytes: WORKER_MEMORY_MAX_MEGABYTES,
        lifecycleHook: { groupName: name, hookName: LAUNCH_LIFECYCLE_HOOK },
      }),
      tags,
    });
    new Alarms(this, 'Alarms', {
      name,
      loadBalancerArnSuffix: loadBalancer.loadBalancerArnSuffix,
      targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
      email: settings.alarms.email,
    });

    const dashboard = new Dashboard(this, 'Dashboard', {
      name,
      region: project.region,
      loadBalancerArnSuffix: loadBalancer.loadBalancerArnSuffix,
      targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
      autoScalingGroupName: fleet.autoScalingGroupName,
      collectedGroupMetrics: fleet.collectedGroupMetrics,
      cpuTargetPercent: fleet.cpuTargetPercent,
    });

    new TerraformOutput(this, 'url', { value: dns ? `https://${dns.domainName}` : loadBalancer.url, description: 'Where the site answers' });
    new TerraformOutput(this, 'load_balancer_dns_name', { value: loadBalancer.loadBalancerDnsName });
    new TerraformOutput(this, 'auto_scaling_group_name', { value: fleet.autoScalingGroupName });
    new TerraformOutput(this, 'artifact_bucket', { value: artifacts.bucketName });
    new TerraformOutput(this, 'release_key', { value: release.objectKey });
    new TerraformOutput(this, 'release_id', { value: release.releaseId });
    new TerraformOutput(this, 'node_version', { value: runtime.version });
    new TerraformOutput(this, 'dashboard_url', { value: dashboard.url, description: "The environment's CloudWatch dashboard" });

    if (props.emulator) Aspects.of(this).add(new EmulatorGaps());
  }
}

/**
 * Every field of a settings object, each named: a field added to the schema and not passed on, or a
 * construct prop renamed, fails to compile instead of being dropped silently.
 */
type EveryField<Settings, Props> = { [K in keyof Required<Settings>]: K extends keyof Props ? Props[K] : never };

function fleetProps(fleet: EnvironmentSettings['fleet']): EveryField<EnvironmentSettings['fleet'], WebServerFleetProps> {
  return {
    instanceType: fleet.instanceType,
    amiId: fleet.amiId,
    minCapacity: fleet.minCapacity,
    maxCapacity: fleet.maxCapacity,
    desiredCapacity: fleet.desiredCapacity,
    cpuTargetPercent: fleet.cpuTargetPercent,
    requestsPerTarget: fleet.requestsPerTarget,
    rootVolumeSizeGiB: fleet.rootVolumeSizeGiB,
    rootVolumeKmsKeyArn: fleet.rootVolumeKmsKeyArn,
    healthCheckGracePeriodSeconds: fleet.healthCheckGracePeriodSeconds,
    instanceWarmupSeconds: fleet.instanceWarmupSeconds,
    spotPercentAboveBase: fleet.spotPercentAboveBase,
    warmPool: fleet.warmPool && { size: fleet.warmPool.size, state: fleet.warmPool.state, reuseOnScaleIn: fleet.warmPool.reuseOnScaleIn },
  };
}

function networkProps(network: EnvironmentSettings['network'], dualStack: boolean): NetworkProps {
  if (network.mode === 'existing') {
    const existing: EveryField<typeof network, Extract<NetworkProps, { mode: 'existing' }>> = {
      mode: 'existing',
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      privateSubnetIds: network.privateSubnetIds,
    };
    return existing;
  }
  const created: EveryField<typeof network, Extract<NetworkProps, { mode: 'new' }>> = {
    mode: 'new',
    vpcCidr: network.vpcCidr,
    availabilityZoneCount: network.availabilityZoneCount,
    natGatewayPerAz: network.natGatewayPerAz,
  };
  return { ...created, dualStack };
}
