// The release step of `make update_stack` and `make rollback`, after Terraform (release/roll-fleet.ts).
// Usage: tsx scripts/release.ts roll|rollback|patch   (ENV=dev|prod; LOCAL_AWS_ENDPOINT for the
// emulator; RETRY_RELEASE=1 to roll again to a release that was rolled back). `patch` replaces every
// instance, also those on the current version: the patch path (new instances boot fully patched).
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { loadConfig } from '../config/load-config.js';
import { environmentResourceName } from '../config/resource-names.js';
import { ConfigError } from '../common/config-error.js';
import { exitCodeOf, type FleetApi, type RefreshState, type RefreshStatus, rollBack, rollToRelease } from '../release/roll-fleet.js';
import { readEmulatorEndpoint } from '../stacks/local-emulator.js';

function sdkFleetApi(region: string, endpoint: string | undefined): FleetApi {
  const settings = endpoint ? { region, endpoint } : { region };
  const autoscaling = new AutoScalingClient(settings);
  const ec2 = new EC2Client(settings);
  const versionOf = (refresh: InstanceRefresh): number | undefined => {
    const version = refresh.DesiredConfiguration?.LaunchTemplate?.Version ?? refresh.DesiredConfiguration?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version;
    return version === undefined ? undefined : Number(version);
  };
  return {
    async groupConfiguration(groupName) {
      const group = (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }))).AutoScalingGroups?.[0];
      if (!group) throw new Error(`no auto scaling group ${groupName}: deploy the stack first (make create_stack)`);
      const template = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      const version = Number(template?.Version);
      if (!template?.LaunchTemplateId || !Number.isInteger(version)) {
        throw new Error(`${groupName} names launch template version ${JSON.stringify(template?.Version)}; the release step needs a version number`);
      }
      return { launchTemplateId: template.LaunchTemplateId, version, mixedInstancesPolicy: group.MixedInstancesPolicy };
    },
    async defaultTemplateVersion(launchTemplateId) {
      const template = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [launchTemplateId] }))).LaunchTemplates?.[0];
      if (template?.DefaultVersionNumber === undefined) throw new Error(`launch template ${launchTemplateId} has no default version`);
      return template.DefaultVersionNumber;
    },
    async templateVersions(launchTemplateId) {
      const versions = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }))).LaunchTemplateVersions ?? [];
      return versions.map((version) => version.VersionNumber!).sort((a, b) => a - b);
    },
    async startInstanceRefresh(request) {
      const started = await autoscaling.send(new StartInstanceRefreshCommand(request as ConstructorParameters<typeof StartInstanceRefreshCommand>[0]));
      return started.InstanceRefreshId!;
    },
    async instanceRefreshes(groupName) {
      const refreshes = (await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName }))).InstanceRefreshes ?? [];
      return refreshes.map(
        (refresh): RefreshState => ({
          id: refresh.InstanceRefreshId!,
          status: refresh.Status as RefreshStatus,
          statusReason: refresh.StatusReason,
          percentageComplete: refresh.PercentageComplete,
          instancesToUpdate: refresh.InstancesToUpdate,
          desiredVersion: versionOf(refresh),
          startTime: refresh.StartTime,
        }),
      );
    },
    async setGroupVersion(groupName, configuration) {
      await autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, ...(configuration as object) }));
    },
  };
}

const action = process.argv[2];
if (action !== 'roll' && action !== 'rollback' && action !== 'patch') {
  process.stderr.write('usage: tsx scripts/release.ts roll|rollback|patch   (ENV selects the environment, default dev)\n');
  process.exit(2);
}
try {
  const environment = process.env.ENV || 'dev';
  const config = loadConfig(join(import.meta.dirname, '..', 'config'), environment);
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  const groupName = environmentResourceName(config.project.project, environment);
  const api = sdkFleetApi(config.project.region, emulator?.endpoint);
  const options = {
    groupName,
    emulator: emulator !== undefined,
    retryRolledBack: process.env.RETRY_RELEASE === '1',
    replaceAll: action === 'patch',
    log: (line: string) => process.stdout.write(`${line}\n`),
  };
  const outcome = action === 'rollback' ? await rollBack(api, options) : await rollToRelease(api, options);
  if (outcome.kind === 'finished') {
    const { refresh } = outcome;
    process.stdout.write(
      refresh.status === 'Successful'
        ? `released: ${groupName} runs launch template version ${outcome.to}\n`
        : `not released: the refresh ended ${refresh.status}${refresh.statusReason ? ` (${refresh.statusReason})` : ''}; ` +
            `${refresh.status === 'RollbackSuccessful' ? `the fleet is back on version ${outcome.from}` : 'check the fleet with the AWS console'}\n`,
    );
  }
  process.exit(exitCodeOf(outcome));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
