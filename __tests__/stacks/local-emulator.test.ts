import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { loadConfig } from '../../config/load-config.js';
import { EMULATOR_AMI_IDS, EMULATOR_IGNORED_ATTRIBUTES, readEmulatorEndpoint } from '../../stacks/local-emulator.js';
import { StateBackendStack } from '../../stacks/state-backend-stack.js';
import { WebAppStack } from '../../stacks/web-app-stack.js';
import { dataOf, fixtureArtifacts, type Json, resourcesOf } from '../synth.js';

const config = loadConfig(join(import.meta.dirname, '..', '..', 'config'));
const emulator = { endpoint: 'http://127.0.0.1:4566' };

function synthDev(withEmulator: boolean): Json {
  const stack = new WebAppStack(Testing.app(), 'webapp-dev', { project: config.project, environment: config.environments[0], ...fixtureArtifacts(config.environments[0]), emulator: withEmulator ? emulator : undefined });
  return JSON.parse(Testing.synth(stack));
}

describe('local mode', () => {
  const local = synthDev(true);
  const real = synthDev(false);

  test('points every AWS service the stacks use at the emulator, with path-style S3 and no metadata API', () => {
    const [provider] = local.provider.aws;
    expect(Object.keys(provider.endpoints[0]).sort()).toEqual(['acm', 'autoscaling', 'cloudwatch', 'ec2', 'elbv2', 'iam', 'kms', 'route53', 's3', 'sns', 'sts']);
    expect(new Set(Object.values(provider.endpoints[0]))).toEqual(new Set([emulator.endpoint]));
    expect(provider).toMatchObject({ s3_use_path_style: true, skip_credentials_validation: true, skip_metadata_api_check: 'true' });
    expect(provider.access_key).toBeUndefined();
  });

  test('keeps the state in the emulator, with the lock file', () => {
    expect(local.terraform.backend.s3).toMatchObject({
      endpoints: { s3: emulator.endpoint, sts: emulator.endpoint, iam: emulator.endpoint },
      use_path_style: true,
      use_lockfile: true,
      skip_metadata_api_check: true,
    });
  });

  test("handles the emulator's gaps: its own image, no TLS-only bucket statement", () => {
    const [image] = Object.values(dataOf(local, 'aws_ami'));
    expect(image.filter[0]).toEqual({ name: 'image-id', values: [EMULATOR_AMI_IDS.arm64] });
    expect(resourcesOf(local, 'aws_s3_bucket_policy')).toEqual({});
  });

  test('ignores exactly the attributes the emulator gets wrong, keeping what was ignored already', () => {
    const ignored = (synthesized: Json) =>
      Object.fromEntries(
        Object.entries(synthesized.resource as Record<string, Record<string, Json>>).flatMap(([type, resources]) =>
          Object.entries(resources)
            .filter(([, resource]) => resource.lifecycle?.ignore_changes)
            .map(([name, resource]) => [`${type}.${name.replace(/_[0-9A-F]{8}$/, '')}`, resource.lifecycle.ignore_changes]),
        ),
      );
    expect(ignored(local)).toEqual({
      'aws_autoscaling_group.Fleet': ['desired_capacity', 'launch_template[0].version', 'default_instance_warmup'],
      'aws_autoscaling_policy.Fleet_CpuTarget': ['enabled', 'predictive_scaling_configuration'],
      'aws_launch_template.Fleet_LaunchTemplate': ['tag_specifications'],
      'aws_vpc_security_group_ingress_rule.Fleet_FromLoadBalancer': ['description'],
      'aws_vpc_security_group_egress_rule.LoadBalancer_ToTargets': ['description'],
    });
    expect(ignored(real)).toEqual({ 'aws_autoscaling_group.Fleet': ['desired_capacity', 'launch_template[0].version'] });
    // Every listed type occurs in the stack, so no entry is dead.
    for (const type of Object.keys(EMULATOR_IGNORED_ATTRIBUTES)) expect(Object.keys(resourcesOf(local, type)).length).toBeGreaterThan(0);
  });

  test('leaves dual-stack off for prod in local mode only', () => {
    const prodEnvironment = config.environments.find((environment) => environment.name === 'prod')!;
    const synth = (withEmulator: boolean) =>
      JSON.parse(Testing.synth(new WebAppStack(Testing.app(), 'webapp-prod', { project: config.project, environment: prodEnvironment, ...fixtureArtifacts(prodEnvironment), emulator: withEmulator ? emulator : undefined })));
    expect(Object.values(resourcesOf(synth(true), 'aws_lb'))[0].ip_address_type).toBe('ipv4');
    expect(Object.values(resourcesOf(synth(false), 'aws_lb'))[0].ip_address_type).toBe('dualstack');
  });

  test('changes nothing for real AWS', () => {
    expect(real.provider.aws[0].endpoints).toBeUndefined();
    expect(real.terraform.backend.s3.endpoints).toBeUndefined();
    expect(Object.keys(resourcesOf(real, 'aws_s3_bucket_policy'))).toHaveLength(1);
    expect(Object.values(dataOf(real, 'aws_ami'))[0].owners).toEqual(['136693071363']);
  });

  test("keeps the bootstrap's state in the emulator's state bucket, as on AWS", () => {
    const stack = new StateBackendStack(Testing.app(), 'state-backend', { project: config.project, emulator });
    const synthesized = JSON.parse(Testing.synth(stack));
    expect(synthesized.terraform.backend.s3).toMatchObject({ bucket: config.project.stateBucketName, key: `${config.project.project}/state-backend/terraform.tfstate`, endpoints: { s3: emulator.endpoint } });
  });

  test('takes only an http endpoint on loopback, naming the variable otherwise', () => {
    expect(readEmulatorEndpoint(undefined)).toBeUndefined();
    expect(readEmulatorEndpoint('http://127.0.0.1:4566')).toEqual({ endpoint: 'http://127.0.0.1:4566' });
    expect(() => readEmulatorEndpoint('http://example.com:4566')).toThrow('LOCAL_AWS_ENDPOINT = "http://example.com:4566": must be an http URL on loopback');
  });
});
