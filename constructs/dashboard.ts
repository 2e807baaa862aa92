import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js';
import { Construct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import { known } from './known.js';

export interface DashboardProps {
  /** The dashboard's name: letters, digits, `-` and `_`, at most 255 (CloudWatch API reference, PutDashboard). */
  readonly name: string;
  /** The region of every metric (the dashboard body's `region` is required per metric widget). */
  readonly region: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly autoScalingGroupName: string;
  /**
   * Group metrics the auto scaling group collects (its `enabled_metrics`): AWS publishes
   * AWS/AutoScaling metrics only for those, so the dashboard refuses to show any other.
   */
  readonly collectedGroupMetrics: readonly string[];
  /** The target-tracking policy's average CPU target, drawn on the CPU graph. */
  readonly cpuTargetPercent: number;
}

/** A metric as the dashboard body writes it: namespace, name, dimension pairs, then rendering options. */
type Metric = [string, string, ...(string | { stat?: string; label?: string })[]];

interface MetricWidget {
  readonly type: 'metric';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: 'timeSeries';
    readonly stat: string;
    readonly period: number;
    readonly metrics: Metric[];
    readonly yAxis?: { left: { min: number; max?: number } };
    readonly annotations?: { horizontal: { label: string; value: number }[] };
  };
}

/** The group metrics the capacity graph shows. */
export const DASHBOARD_GROUP_METRICS = ['GroupDesiredCapacity', 'GroupInServiceInstances', 'GroupPendingInstances'] as const;
const WIDTH = 12;
const HEIGHT = 6;
const PERIOD_SECONDS = 60;

/**
 * One CloudWatch dashboard for an environment: requests, 4xx and 5xx (load balancer and targets),
 * p50 and p99 target response time, healthy and unhealthy hosts, the group's desired, in-service and
 * pending capacity, and average CPU against the scaling target. Two graphs a row, each a minute's
 * resolution, every metric with this stack's dimensions.
 */
export class Dashboard extends Construct {
  readonly dashboardName: string;
  /** The dashboard in the CloudWatch console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    if (known(props.name) && !/^[A-Za-z0-9_-]{1,255}$/.test(props.name)) {
      throw new ConfigError(`name (${JSON.stringify(props.name)}) must be 1 to 255 letters, digits, "-" or "_" (CloudWatch dashboard names)`, this);
    }
    if (!known(props.cpuTargetPercent)) {
      throw new ConfigError("cpuTargetPercent must be known at synth time, not a Terraform variable: it is drawn into the dashboard's body", this);
    }
    if (!(props.cpuTargetPercent > 0 && props.cpuTargetPercent <= 100)) throw new ConfigError(`cpuTargetPercent (${props.cpuTargetPercent}) must be above 0 and at most 100`, this);
    const missing = DASHBOARD_GROUP_METRICS.filter((metric) => !props.collectedGroupMetrics.includes(metric));
    if (missing.length > 0) throw new ConfigError(`collectedGroupMetrics lacks ${missing.join(', ')}: AWS publishes no group metric the group does not collect`, this);

    const loadBalancer = ['LoadBalancer', props.loadBalancerArnSuffix];
    // Host counts exist per target group and load balancer only (ELB User Guide, CloudWatch metrics, dimensions).
    const targetGroup = ['TargetGroup', props.targetGroupArnSuffix, ...loadBalancer];
    const group = ['AutoScalingGroupName', props.autoScalingGroupName];
    const elb = (name: string, dimensions: string[], options: { stat?: string; label?: string } = {}): Metric => ['AWS/ApplicationELB', name, ...dimensions, options];
    const graphs: Omit<MetricWidget['properties'], 'region' | 'view' | 'period'>[] = [
      { title: 'Requests', stat: 'Sum', metrics: [elb('RequestCount', loadBalancer, { label: 'requests' })] },
      {
        title: '4xx and 5xx responses',
        stat: 'Sum',
        metrics: [
          elb('HTTPCode_ELB_4XX_Count', loadBalancer, { label: 'load balancer 4xx' }),
          elb('HTTPCode_ELB_5XX_Count', loadBalancer, { label: 'load balancer 5xx' }),
          elb('HTTPCode_Target_4XX_Count', loadBalancer, { label: 'targets 4xx' }),
          elb('HTTPCode_Target_5XX_Count', loadBalancer, { label: 'targets 5xx' }),
        ],
      },
      {
        title: 'Target response time (seconds)',
        stat: 'p50',
        metrics: [elb('TargetResponseTime', loadBalancer, { stat: 'p50', label: 'p50' }), elb('TargetResponseTime', loadBalancer, { stat: 'p99', label: 'p99' })],
      },
      {
        title: 'Healthy and unhealthy hosts',
        stat: 'Minimum',
        metrics: [elb('HealthyHostCount', targetGroup, { stat: 'Minimum', label: 'healthy (minimum)' }), elb('UnHealthyHostCount', targetGroup, { stat: 'Maximum', label: 'unhealthy (maximum)' })],
        yAxis: { left: { min: 0 } },
      },
      {
        title: 'Auto scaling group capacity',
        stat: 'Maximum',
        metrics: DASHBOARD_GROUP_METRICS.map((name) => ['AWS/AutoScaling', name, ...group, { label: name.replace(/^Group/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() }] as Metric),
        yAxis: { left: { min: 0 } },
      },
      {
        title: 'Average CPU against the scaling target (%)',
        stat: 'Average',
        metrics: [['AWS/EC2', 'CPUUtilization', ...group, { label: 'average CPU' }]],
        yAxis: { left: { min: 0, max: 100 } },
        annotations: { horizontal: [{ label: 'scaling target', value: props.cpuTargetPercent }] },
      },
    ];
    const widgets: MetricWidget[] = graphs.map((graph, index) => ({
      type: 'metric',
      x: (index % 2) * WIDTH,
      y: Math.floor(index / 2) * HEIGHT,
      width: WIDTH,
      height: HEIGHT,
      properties: { ...graph, region: props.region, view: 'timeSeries', period: PERIOD_SECONDS },
    }));

    const dashboard = new CloudwatchDashboard(this, 'Resource', { dashboardName: props.name, dashboardBody: JSON.stringify({ widgets }) });
    this.dashboardName = dashboard.dashboardName;
    this.url = `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards/dashboard/${dashboard.dashboardName}`;
  }
}
