// AWS's rules for the fleet that the emulator does not enforce. Each test names its source.
import { describe, expect, test } from '@jest/globals';
import { MIN_REQUESTS_PER_TARGET_PER_MINUTE } from '../../constants.js';
import { instanceRefreshRequest } from '../../release/roll-fleet.js';
import { dataOf, type Json, onlyResource, resourcesOf } from '../synth.js';
import { policyDocumentBehind } from './policy.js';
import { stack, WEB_APP_STACKS } from './stacks.js';

describe('auto scaling group: instance refresh', () => {
  // Source: EC2 Auto Scaling API Reference, RefreshPreferences: MinHealthyPercentage 0-100,
  // MaxHealthyPercentage 100-200, "the difference between them cannot be greater than 100", and a
  // maximum needs a minimum. The release step sends these (release/roll-fleet.ts).
  test('the release step asks for healthy percentages within AWS ranges and at most 100 apart', () => {
    const { MinHealthyPercentage: min, MaxHealthyPercentage: max } = instanceRefreshRequest('g', { launchTemplateId: 'lt', version: 1 }, 2).Preferences;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(min).toBeLessThanOrEqual(100);
    expect(max).toBeGreaterThanOrEqual(100);
    expect(max).toBeLessThanOrEqual(200);
    expect(max - min).toBeLessThanOrEqual(100);
  });

  // Source: EC2 Auto Scaling user guide, "Undo changes with a manual or auto rollback": rollback is
  // only available with a desired configuration, and not from $Latest or $Default.
  test('the release step asks for auto rollback with a desired configuration naming a version number', () => {
    const request = instanceRefreshRequest('g', { launchTemplateId: 'lt', version: 1 }, 2);
    expect(request.Preferences.AutoRollback).toBe(true);
    expect(request.DesiredConfiguration.LaunchTemplate?.Version).toMatch(/^\d+$/);
  });

  // Source: AWS rolls back to "the configuration last saved on the group before the refresh started";
  // the provider saves the new version on the group before it starts its refresh (provider issue
  // 34189), so a Terraform-started refresh would roll back to the bad release itself.
  test.each(WEB_APP_STACKS)('%s: Terraform starts no refresh and leaves the running version to the release step', (_label, json) => {
    const group = onlyResource(json, 'aws_autoscaling_group');
    expect(group.instance_refresh).toBeUndefined();
    expect(group.lifecycle.ignore_changes).toContain(group.mixed_instances_policy ? 'mixed_instances_policy[0].launch_template[0].launch_template_specification[0].version' : 'launch_template[0].version');
  });
});

describe('launch template', () => {
  // Source: EC2 Auto Scaling user guide, "Required AWS KMS key policy for use with encrypted volumes":
  // a customer managed key for EBS must grant the Auto Scaling service-linked role, or every launch
  // fails. The artifact key is granted to the instance role for releases, not to Auto Scaling.
  test.each(WEB_APP_STACKS)('%s: the root volume key is never the artifact bucket key', (_label, json) => {
    const template = onlyResource(json, 'aws_launch_template');
    const encryption = Object.values(resourcesOf(json, 'aws_s3_bucket_server_side_encryption_configuration')).map(
      (config: Json) => config.rule[0].apply_server_side_encryption_by_default.kms_master_key_id,
    );
    const volumeKey = template.block_device_mappings[0].ebs.kms_key_id;
    expect(template.block_device_mappings[0].ebs.encrypted).toBe('true');
    if (volumeKey !== undefined) expect(encryption).not.toContain(volumeKey);
  });

  test('the maximal stack encrypts root volumes with its own volume key and releases with the artifact key', () => {
    const json = stack('maximal/webapp-everything');
    expect(onlyResource(json, 'aws_launch_template').block_device_mappings[0].ebs.kms_key_id).toBe(
      'arn:aws:kms:ap-southeast-4:111122223333:key/0a0a0a0a-1111-2222-3333-444444444444',
    );
  });

  // Source: Debian wiki, Cloud/AmazonEC2Image: release images are named debian-13-<arch>-YYYYMMDD-NNNN;
  // daily builds (debian-13-<arch>-daily-...) are published by the same account and are not releases.
  test.each(WEB_APP_STACKS)("%s: the Debian image lookup matches release images only", (_label, json) => {
    const [image] = Object.values(dataOf(json, 'aws_ami')) as Json[];
    if (image.owners === undefined) return; // an explicit AMI id
    const architecture = image.filter.find((filter: Json) => filter.name === 'architecture').values[0] === 'arm64' ? 'arm64' : 'amd64';
    const otherArchitecture = architecture === 'arm64' ? 'amd64' : 'arm64';
    const nameRegex = new RegExp(image.name_regex);
    expect(nameRegex.test(`debian-13-${architecture}-20251117-2299`)).toBe(true);
    expect(nameRegex.test(`debian-13-${otherArchitecture}-20251117-2299`)).toBe(false);
    expect(nameRegex.test(`debian-13-${architecture}-daily-20251117-2299`)).toBe(false);
    expect(nameRegex.test(`debian-13-backports-${architecture}-20251117-2299`)).toBe(false);
    expect(nameRegex.test(`debian-13-${architecture}-20251117-2299-extra`)).toBe(false);
  });
});

describe('instance role', () => {
  // Source: AWS Systems Manager user guide, "Find AMIs with the SSM Agent preinstalled" (Debian is not
  // among them) and Debian's archive (no amazon-ssm-agent package): Session Manager cannot reach
  // these instances, so its policy (ssm:GetParameter(s) on every parameter, ssmmessages:*) is only risk.
  test.each(WEB_APP_STACKS)('%s: grants nothing for Session Manager without an agent', (_label, json) => {
    const attached = Object.values(resourcesOf(json, 'aws_iam_role_policy_attachment')).map((attachment: Json) => attachment.policy_arn);
    const managed = Object.values(dataOf(json, 'aws_iam_policy')).map((policy: Json) => policy.name);
    expect(managed).not.toContain('AmazonSSMManagedInstanceCore');
    expect(attached).toEqual([]);
    const inline = Object.values(resourcesOf(json, 'aws_iam_role_policy')).flatMap((policy: Json) => policyDocumentBehind(json, policy.policy));
    expect(inline.flatMap((statement) => statement.actions ?? []).filter((action) => /^ssm/.test(action))).toEqual([]);
  });
});

describe('request-count scaling', () => {
  // Source: EC2 Auto Scaling user guide, target tracking metrics: ALBRequestCountPerTarget is the
  // number of requests per target per minute. A per-second figure written there scales to the maximum.
  test.each(WEB_APP_STACKS)('%s: a request-count target is a per-minute figure', (_label, json) => {
    const policies = Object.values(resourcesOf(json, 'aws_autoscaling_policy')) as Json[];
    const requestTargets = policies.filter(
      (policy) => policy.target_tracking_configuration.predefined_metric_specification.predefined_metric_type === 'ALBRequestCountPerTarget',
    );
    for (const policy of requestTargets) {
      expect(policy.target_tracking_configuration.target_value).toBeGreaterThanOrEqual(MIN_REQUESTS_PER_TARGET_PER_MINUTE);
    }
  });

  test('prod and the maximal stack track requests', () => {
    for (const label of ['repository/webapp-prod', 'maximal/webapp-everything']) {
      const types = Object.values(resourcesOf(stack(label), 'aws_autoscaling_policy')).map(
        (policy: Json) => policy.target_tracking_configuration.predefined_metric_specification.predefined_metric_type,
      );
      expect([label, types.sort()]).toEqual([label, ['ALBRequestCountPerTarget', 'ASGAverageCPUUtilization']]);
    }
  });
});

describe('launch hook and warm pool', () => {
  const hookOf = (json: Json) => onlyResource(json, 'aws_autoscaling_group').initial_lifecycle_hook?.[0];

  // Source: EC2 Auto Scaling User Guide, "Warm pool instance lifecycle": Auto Scaling stops a warm
  // pool instance as soon as it has launched and does not wait for user data; cloud-init runs it once,
  // so a launch hook must hold the instance until it is provisioned. Provider docs, aws_autoscaling_group:
  // initial_lifecycle_hook is attached before any instance launches (a separate hook resource only
  // after the group's first launches), and the provider puts the warm pool after the group.
  test.each(WEB_APP_STACKS)('%s: every launch is held by a launch hook created with the group', (_label, json) => {
    expect(hookOf(json)).toMatchObject({ lifecycle_transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', default_result: 'ABANDON' });
    expect(resourcesOf(json, 'aws_autoscaling_lifecycle_hook')).toEqual({});
  });

  // Source: EC2 Auto Scaling API Reference, PutLifecycleHook: HeartbeatTimeout from 30 to 7200 seconds.
  test.each(WEB_APP_STACKS)("%s: the hook's heartbeat lies within AWS's range", (_label, json) => {
    expect(hookOf(json).heartbeat_timeout).toBeGreaterThanOrEqual(30);
    expect(hookOf(json).heartbeat_timeout).toBeLessThanOrEqual(7200);
  });

  // Source: EC2 Auto Scaling User Guide, "Complete a lifecycle action": the instance completes the
  // action itself, so its role needs autoscaling:CompleteLifecycleAction on the group (else every
  // launch waits out the heartbeat and is abandoned).
  test.each(WEB_APP_STACKS)('%s: the instance role may complete the hook of its own group, and only that', (_label, json) => {
    const group = onlyResource(json, 'aws_autoscaling_group');
    const statements = Object.entries(dataOf(json, 'aws_iam_policy_document')).filter(([name]) => name.includes('LaunchHook')).flatMap(([, document]) => document.statement);
    expect(statements).toEqual([expect.objectContaining({ actions: ['autoscaling:CompleteLifecycleAction'], resources: [expect.stringMatching(new RegExp(`:autoScalingGroup:\\*:autoScalingGroupName/${group.name}$`))] })]);
  });

  // Source: EC2 Auto Scaling User Guide, "Warm pools", limitations: no warm pool for a group with a
  // mixed instances policy or Spot instances; Stopped and Hibernated need an EBS root volume.
  // EC2 User Guide, "Prerequisites for EC2 instance hibernation": Debian is not a supported AMI.
  // PutWarmPool: MinSize at least 0, MaxGroupPreparedCapacity -1 or at least MinSize; the provider
  // does not send a MinSize of 0 (terraform-provider-aws issue 44732), so a pool is at least 1.
  test.each(WEB_APP_STACKS)('%s: a warm pool only where AWS allows one, sized as the provider sends it', (_label, json) => {
    const group = onlyResource(json, 'aws_autoscaling_group');
    if (!group.warm_pool) return;
    expect(group.mixed_instances_policy).toBeUndefined();
    expect(['Stopped', 'Running']).toContain(group.warm_pool.pool_state);
    expect(group.warm_pool.min_size).toBeGreaterThanOrEqual(1);
    expect(group.warm_pool.max_group_prepared_capacity).toBeGreaterThanOrEqual(group.warm_pool.min_size);
    expect(onlyResource(json, 'aws_launch_template').block_device_mappings[0].ebs).toBeDefined();
  });

  test('the existing-network stack has a warm pool, so the rules above check one', () => {
    expect(onlyResource(stack('maximal/webapp-existing'), 'aws_autoscaling_group').warm_pool).toMatchObject({ pool_state: 'Stopped', min_size: 1 });
  });
});
