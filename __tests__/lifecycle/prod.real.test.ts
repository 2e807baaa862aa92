// The production environment on the local emulator: DNS name, validated certificate, HTTPS, and
// deletion protection that `make delete_stack` switches off before destroying.
import { join } from 'node:path';
import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLifecycleHooksCommand, DescribeWarmPoolCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { LAUNCH_LIFECYCLE_HOOK } from '../../constants.js';
import { accessLogBucketPrefix } from '../../common/name-prefixes.js';
import { loadConfig } from '../../config/load-config.js';
import { LOCAL_MODE_MOTO_ENV, type Moto, startMoto } from '../../support/moto.js';
import { REPOSITORY_ROOT, requireTerraform, terraform } from '../terraform.js';
import { copyWorkspace, emulatorClient, lifecycleSteps, localModeEnv, succeeded, type Workspace } from './workspace.js';

const { project, environments } = loadConfig(join(REPOSITORY_ROOT, 'config'), 'prod');
const dns = environments[0].settings.dns!;
let moto: Moto;
let workspace: Workspace;
const client = <T>(Client: new (config: object) => T) => emulatorClient(Client, moto.endpoint, project.region);
const stack = (action: string) => workspace.stack(action, { LOCAL_PORT: new URL(moto.endpoint).port, ENV: 'prod' });

async function aliasRecords() {
  const route53 = client(Route53Client);
  const { HostedZones = [] } = await route53.send(new ListHostedZonesByNameCommand({ DNSName: `${dns.hostedZoneName}.` }));
  const zone = HostedZones.find((candidate) => candidate.Name === `${dns.hostedZoneName}.`);
  if (!zone) return undefined;
  const { ResourceRecordSets = [] } = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id }));
  return ResourceRecordSets.filter((record) => record.Name === `${dns.domainName}.` && record.AliasTarget).map((record) => record.Type);
}

beforeAll(async () => {
  requireTerraform();
  moto = await startMoto(LOCAL_MODE_MOTO_ENV);
  workspace = copyWorkspace();
}, 60_000);
afterAll(() => moto?.stop());

describe('webapp-prod on the local emulator', () => {
  // The delete needs what the create made: after a failed create it fails at once, naming it.
  const step = lifecycleSteps();

  step('create: the hosted zone is made in the emulator, the certificate is issued, the name is an alias of the load balancer', async () => {
    expect(succeeded(await stack('create'))).toEqual({ status: 0, tail: '' });
    const outputs = JSON.parse(terraform(workspace.stackDir('webapp-prod'), ['output', '-json'], localModeEnv(moto.endpoint)));
    expect(outputs.url.value).toBe(`https://${dns.domainName}`);

    // IPv4 only: local mode leaves dual-stack off (moto cannot wait for a subnet's IPv6 block).
    expect(await aliasRecords()).toEqual(['A']);
    const certificates = await client(ACMClient).send(new ListCertificatesCommand({}));
    expect(certificates.CertificateSummaryList?.map((certificate) => [certificate.DomainName, certificate.Status])).toEqual([[dns.domainName, 'ISSUED']]);

    const elb = client(ElasticLoadBalancingV2Client);
    const [loadBalancer] = (await elb.send(new DescribeLoadBalancersCommand({ Names: ['webapp-prod'] }))).LoadBalancers!;
    const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancer.LoadBalancerArn }));
    expect(listeners.Listeners?.map((listener) => [listener.Port, listener.Protocol]).sort()).toEqual([[443, 'HTTPS'], [80, 'HTTP']]);
    const attributes = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancer.LoadBalancerArn }));
    expect(attributes.Attributes?.find((attribute) => attribute.Key === 'deletion_protection.enabled')?.Value).toBe('true');

    const [group] = (await client(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['webapp-prod'] }))).AutoScalingGroups!;
    expect({ min: group.MinSize, max: group.MaxSize, zones: group.AvailabilityZones?.length }).toEqual({ min: 3, max: 12, zones: 3 });

    // The warm pool (prod.json) and the launch hook that holds each launch until the instance serves.
    // moto keeps the pool's settings but launches no pooled instances (its DescribeWarmPool says so).
    const autoscaling = client(AutoScalingClient);
    const pool = await autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'webapp-prod' }));
    expect(pool.WarmPoolConfiguration).toMatchObject({ MinSize: 2, MaxGroupPreparedCapacity: 2, PoolState: 'Stopped' });
    const hooks = await autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'webapp-prod' }));
    expect(hooks.LifecycleHooks?.map((hook) => [hook.LifecycleHookName, hook.LifecycleTransition, hook.DefaultResult])).toEqual([[LAUNCH_LIFECYCLE_HOOK, 'autoscaling:EC2_INSTANCE_LAUNCHING', 'ABANDON']]);
    const status = await stack('status');
    expect(status.output).toContain('Capacity: desired 3 (min 3, max 12); 3 in service, 0 pending');
  }, 900_000);

  step('delete: switches the deletion protection off first, then destroys everything but the zone, the state bucket and the access logs', async () => {
    const logBucket = (await client(S3Client).send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name!).find((name) => name.startsWith(accessLogBucketPrefix('webapp-prod')));
    expect(logBucket).toBeDefined();
    const run = await stack('delete');
    expect(succeeded(run)).toEqual({ status: 0, tail: '' });
    expect(run.output).toMatch(/switching off deletion protection of aws_lb\.LoadBalancer_\w+ before destroying/);
    expect(run.output).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(run.output).toMatch(/Destroy complete! Resources: \d+ destroyed/);

    const loadBalancers = await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}));
    const vpcs = await client(EC2Client).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Project', Values: [project.project] }] }));
    const buckets = await client(S3Client).send(new ListBucketsCommand({}));
    expect({
      loadBalancers: loadBalancers.LoadBalancers ?? [],
      vpcs: vpcs.Vpcs ?? [],
      buckets: (buckets.Buckets ?? []).map((bucket) => bucket.Name).sort(),
      aliases: await aliasRecords(),
    }).toEqual({ loadBalancers: [], vpcs: [], buckets: [logBucket, project.stateBucketName].sort(), aliases: [] });
    // Production's access logs outlive the stack until their retention ends (its bucket refuses destroy).
    expect(run.output).toContain(`keeping the access-log bucket ${logBucket}: its logs expire by its lifecycle; delete it by hand once empty`);
  }, 900_000);
});
