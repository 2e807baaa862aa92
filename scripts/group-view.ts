// The group as `make status` and `make logs` read it: one DescribeAutoScalingGroups, and
// DescribeWarmPool when the group has a warm pool.
import { type AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeWarmPoolCommand, type Instance } from '@aws-sdk/client-auto-scaling';
import type { FleetInstance, GroupView } from '../operations/status.js';

const versionNumber = (version: string | undefined) => (version !== undefined && /^\d+$/.test(version) ? Number(version) : undefined);

function fleetInstance(instance: Instance): FleetInstance {
  return {
    instanceId: instance.InstanceId!,
    availabilityZone: instance.AvailabilityZone ?? '?',
    lifecycleState: instance.LifecycleState ?? '?',
    healthStatus: instance.HealthStatus ?? '?',
    templateVersion: versionNumber(instance.LaunchTemplate?.Version),
  };
}

export async function readGroupView(autoscaling: AutoScalingClient, groupName: string): Promise<GroupView> {
  const group = (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }))).AutoScalingGroups?.[0];
  if (!group) throw new Error(`no auto scaling group ${groupName}: deploy the stack first (make create_stack)`);
  const template = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  const warm = group.WarmPoolConfiguration ? ((await autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: groupName }))).Instances ?? []) : [];
  return {
    name: groupName,
    minSize: group.MinSize ?? 0,
    maxSize: group.MaxSize ?? 0,
    desiredCapacity: group.DesiredCapacity ?? 0,
    launchTemplateId: template?.LaunchTemplateId ?? '?',
    templateVersion: versionNumber(template?.Version),
    instances: (group.Instances ?? []).map(fleetInstance),
    warmInstances: warm.map(fleetInstance),
    targetGroupArns: group.TargetGroupARNs ?? [],
  };
}
