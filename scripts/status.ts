// `make status`: one screen per environment (operations/status.ts), read with describe calls only.
// Usage: tsx scripts/status.ts   (ENV=dev|prod; LOCAL_AWS_ENDPOINT for the emulator)
import { join } from 'node:path';
import { AutoScalingClient, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { loadConfig } from '../config/load-config.js';
import { environmentResourceName } from '../config/resource-names.js';
import { ConfigError } from '../common/config-error.js';
import { collectStatus, fetchServedVersion, releaseIdOfUserData, renderStatus, type StatusApi } from '../operations/status.js';
import { readEmulatorEndpoint } from '../stacks/local-emulator.js';
import { readGroupView } from './group-view.js';

function sdkStatusApi(region: string, endpoint: string | undefined, resourceName: string, domainName: string | undefined): StatusApi {
  const settings = endpoint ? { region, endpoint } : { region };
  const autoscaling = new AutoScalingClient(settings);
  const ec2 = new EC2Client(settings);
  const elb = new ElasticLoadBalancingV2Client(settings);
  // moto answers CloudWatch in the query protocol only; AWS takes the SDK's default.
  const cloudwatch = new CloudWatchClient(endpoint ? { ...settings, protocol: AwsQueryProtocol } : settings);
  return {
    group: (groupName) => readGroupView(autoscaling, groupName),
    async templateReleases(launchTemplateId) {
      const template = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [launchTemplateId] }))).LaunchTemplates?.[0];
      if (template?.DefaultVersionNumber === undefined) throw new Error(`launch template ${launchTemplateId} has no default version`);
      // The newest versions: the default, the group's and its instances' are among them unless a fleet is far behind.
      const latest = template.LatestVersionNumber ?? template.DefaultVersionNumber;
      const versions = Array.from({ length: Math.min(latest, 20) }, (_, index) => String(latest - index));
      const found = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: versions }))).LaunchTemplateVersions ?? [];
      return {
        defaultVersion: template.DefaultVersionNumber,
        releaseByVersion: new Map(found.map((version) => [version.VersionNumber!, releaseIdOfUserData(version.LaunchTemplateData?.UserData)])),
      };
    },
    async targetHealth(targetGroupArns) {
      const health = new Map<string, string>();
      for (const arn of targetGroupArns) {
        const described = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        for (const target of described.TargetHealthDescriptions ?? []) {
          const state = target.TargetHealth?.State ?? '?';
          health.set(target.Target!.Id!, target.TargetHealth?.Reason ? `${state} (${target.TargetHealth.Reason})` : state);
        }
      }
      return health;
    },
    async scalingActivities(groupName, count) {
      const activities = (await autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: groupName, MaxRecords: count }))).Activities ?? [];
      return activities.map((activity) => ({ startTime: activity.StartTime!, statusCode: activity.StatusCode ?? '?', description: activity.Description ?? '' }));
    },
    async alarms(namePrefix) {
      const all = [];
      for await (const page of paginateDescribeAlarms({ client: cloudwatch }, { AlarmNamePrefix: namePrefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })) {
        all.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
      }
      const firing = all.filter((alarm) => alarm.StateValue === 'ALARM');
      return { total: all.length, firing: firing.map((alarm) => ({ name: alarm.AlarmName!, reason: alarm.StateReason ?? '', since: alarm.StateUpdatedTimestamp })) };
    },
    async siteUrl() {
      if (domainName) return `https://${domainName}`;
      const balancer = (await elb.send(new DescribeLoadBalancersCommand({ Names: [resourceName] }))).LoadBalancers?.[0];
      if (!balancer?.DNSName) throw new Error(`no load balancer ${resourceName}`);
      // Without a DNS alias there is no certificate: the load balancer listens on HTTP (constructs/load-balancer.ts).
      return `http://${balancer.DNSName}`;
    },
    async servedVersion(siteUrl) {
      // The emulator's load balancer has a name but nothing behind it: say so rather than time out on DNS.
      if (endpoint) throw new Error('the emulator runs no instances behind its load balancer');
      return fetchServedVersion(siteUrl);
    },
  };
}

try {
  const environment = process.env.ENV || 'dev';
  const config = loadConfig(join(import.meta.dirname, '..', 'config'), environment);
  const settings = config.environments[0].settings;
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  const name = environmentResourceName(config.project.project, environment);
  const api = sdkStatusApi(config.project.region, emulator?.endpoint, name, settings.dns?.domainName);
  const report = await collectStatus(api, {
    environment: `webapp-${environment}`,
    groupName: name,
    alarmPrefix: `${name}-`,
    where: emulator ? `the local emulator at ${emulator.endpoint}` : config.project.region,
  });
  process.stdout.write(renderStatus(report));
  // Exit 1 when the group itself cannot be read: nothing else on the screen means much then.
  process.exit(report.group.ok ? 0 : 1);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
