import { describe, expect, test } from '@jest/globals';
import { TerraformVariable } from 'cdktf';
import { ConfigError } from '../../common/config-error.js';
import { DASHBOARD_GROUP_METRICS, Dashboard, type DashboardProps } from '../../constructs/dashboard.js';
import { onlyResource, synthScope } from '../synth.js';

const props: DashboardProps = {
  name: 'webapp-dev',
  region: 'eu-west-1',
  loadBalancerArnSuffix: 'app/webapp-dev/1',
  targetGroupArnSuffix: 'targetgroup/webapp-dev/2',
  autoScalingGroupName: 'webapp-dev',
  collectedGroupMetrics: [...DASHBOARD_GROUP_METRICS, 'GroupTotalInstances'],
  cpuTargetPercent: 50,
};

type Widget = { type: string; x: number; y: number; width: number; height: number; properties: { title: string; region: string; period: number; metrics: unknown[][]; annotations?: { horizontal: { value: number }[] } } };

function bodyOf(given: DashboardProps) {
  const dashboard = onlyResource(synthScope((scope) => new Dashboard(scope, 'Dashboard', given)), 'aws_cloudwatch_dashboard');
  return { name: dashboard.dashboard_name as string, widgets: (JSON.parse(dashboard.dashboard_body) as { widgets: Widget[] }).widgets };
}

/** Each metric as namespace, name and its dimensions as an object. */
const metricsOf = (widget: Widget) =>
  widget.properties.metrics.map(([namespace, name, ...rest]) => {
    if (typeof name !== 'string') throw new Error(`a metric without a name: ${JSON.stringify(name)}`);
    const pairs = rest.filter((item): item is string => typeof item === 'string');
    return { namespace, name, dimensions: Object.fromEntries(pairs.flatMap((item, index) => (index % 2 === 0 ? [[item, pairs[index + 1]]] : []))) };
  });

describe('Dashboard', () => {
  const { name, widgets } = bodyOf(props);

  test('shows requests, 4xx and 5xx, p50 and p99, host health, group capacity and CPU against the target', () => {
    expect(name).toBe('webapp-dev');
    expect(widgets.map((widget) => [widget.properties.title, metricsOf(widget).map((metric) => metric.name)])).toEqual([
      ['Requests', ['RequestCount']],
      ['4xx and 5xx responses', ['HTTPCode_ELB_4XX_Count', 'HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_4XX_Count', 'HTTPCode_Target_5XX_Count']],
      ['Target response time (seconds)', ['TargetResponseTime', 'TargetResponseTime']],
      ['Healthy and unhealthy hosts', ['HealthyHostCount', 'UnHealthyHostCount']],
      ['Auto scaling group capacity', ['GroupDesiredCapacity', 'GroupInServiceInstances', 'GroupPendingInstances']],
      ['Average CPU against the scaling target (%)', ['CPUUtilization']],
    ]);
    expect(widgets[2].properties.metrics.map((metric) => metric.at(-1))).toEqual([expect.objectContaining({ stat: 'p50' }), expect.objectContaining({ stat: 'p99' })]);
    expect(widgets[5].properties.annotations?.horizontal).toEqual([{ label: 'scaling target', value: 50 }]);
  });

  test('names every metric with the dimensions AWS publishes it under, for this stack', () => {
    const all = widgets.flatMap(metricsOf);
    for (const metric of all) {
      const expected =
        metric.namespace === 'AWS/ApplicationELB'
          ? ['HealthyHostCount', 'UnHealthyHostCount'].includes(metric.name)
            ? { TargetGroup: props.targetGroupArnSuffix, LoadBalancer: props.loadBalancerArnSuffix }
            : { LoadBalancer: props.loadBalancerArnSuffix }
          : { AutoScalingGroupName: props.autoScalingGroupName };
      expect({ metric: metric.name, dimensions: metric.dimensions }).toEqual({ metric: metric.name, dimensions: expected });
    }
    expect(new Set(all.map((metric) => metric.namespace))).toEqual(new Set(['AWS/ApplicationELB', 'AWS/AutoScaling', 'AWS/EC2']));
  });

  test('lays out within the 24-column grid, each metric widget with its region and a minute period (CloudWatch dashboard body structure)', () => {
    for (const widget of widgets) {
      expect(widget).toMatchObject({ type: 'metric', width: 12, height: 6, properties: { region: 'eu-west-1', period: 60 } });
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
    }
    expect(new Set(widgets.map((widget) => `${widget.x},${widget.y}`)).size).toBe(widgets.length);
  });

  test.each<[string, Partial<DashboardProps>, string]>([
    ['a name with a space (CloudWatch API reference, PutDashboard: DashboardName)', { name: 'webapp dev' }, 'name ("webapp dev") must be 1 to 255 letters, digits, "-" or "_" (CloudWatch dashboard names)'],
    ['a group that does not collect what it shows (EC2 Auto Scaling User Guide: group metrics only once enabled)', { collectedGroupMetrics: ['GroupDesiredCapacity'] }, 'collectedGroupMetrics lacks GroupInServiceInstances, GroupPendingInstances: AWS publishes no group metric the group does not collect'],
    ['a CPU target over 100', { cpuTargetPercent: 120 }, 'cpuTargetPercent (120) must be above 0 and at most 100'],
  ])('refuses %s, naming the field', (_case, change, message) => {
    expect(() => bodyOf({ ...props, ...change })).toThrow(new ConfigError(`stack/Dashboard: ${message}`));
  });

  test('refuses a CPU target known only at deploy time: it is drawn into the body at synth time', () => {
    expect(() => synthScope((scope) => new Dashboard(scope, 'Dashboard', { ...props, cpuTargetPercent: new TerraformVariable(scope, 'cpu', { type: 'number' }).numberValue }))).toThrow(
      new ConfigError("stack/Dashboard: cpuTargetPercent must be known at synth time, not a Terraform variable: it is drawn into the dashboard's body"),
    );
  });
});
