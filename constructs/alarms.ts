import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import { known } from './known.js';

export interface AlarmsProps {
  /** Prefix of the topic and alarm names. */
  readonly name: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  /** Address subscribed to the alarm topic (AWS asks it to confirm). @default - no subscription */
  readonly email?: string;
  /** 5xx responses per minute, from the load balancer or from the targets, that count as bad. @default 10 */
  readonly errorsPerMinuteThreshold?: number;
  /** p99 target response time that counts as slow. @default 1 */
  readonly p99ResponseTimeSeconds?: number;
}

/**
 * An SNS topic and the alarms that tell a person the site is failing or slow. The topic is encrypted
 * with a key of its own (about 1 USD a month): CloudWatch cannot publish under the AWS managed
 * alias/aws/sns, whose key policy does not allow it and cannot be changed.
 */
export class Alarms extends Construct {
  readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const errorsPerMinute = props.errorsPerMinuteThreshold ?? 10;
    const p99Seconds = props.p99ResponseTimeSeconds ?? 1;
    if (known(errorsPerMinute) && !(errorsPerMinute > 0)) throw new ConfigError(`errorsPerMinuteThreshold (${errorsPerMinute}) must be positive`, this);
    if (known(p99Seconds) && !(p99Seconds > 0)) throw new ConfigError(`p99ResponseTimeSeconds (${p99Seconds}) must be positive`, this);

    const account = new DataAwsCallerIdentity(this, 'Account', {});
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'KeyPolicy', {
      statement: [
        {
          // KMS's default key policy: the account administers the key through IAM.
          sid: 'AccountAdministersTheKey',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [account.accountId] }],
          actions: ['kms:*'],
          resources: ['*'], // in a key policy, "*" is this key
        },
        {
          // SNS developer guide, compatibility with AWS services: what CloudWatch needs to publish.
          sid: 'CloudWatchPublishesAlarms',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        },
      ],
    });
    const key = new KmsKey(this, 'TopicKey', {
      description: `Encrypts the ${props.name}-alarms topic; CloudWatch may use it to publish`,
      policy: keyPolicy.json,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
    });
    new KmsAlias(this, 'TopicKeyAlias', { name: `alias/${props.name}-alarms`, targetKeyId: key.keyId });
    const topic = new SnsTopic(this, 'Resource', { name: `${props.name}-alarms`, kmsMasterKeyId: key.arn });
    if (props.email) {
      new SnsTopicSubscription(this, 'EmailSubscription', { topicArn: topic.arn, protocol: 'email', endpoint: props.email });
    }

    const loadBalancer = { LoadBalancer: props.loadBalancerArnSuffix };
    const targets = { LoadBalancer: props.loadBalancerArnSuffix, TargetGroup: props.targetGroupArnSuffix };
    const common: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'comparisonOperator' | 'threshold'> = {
      namespace: 'AWS/ApplicationELB',
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      alarmActions: [topic.arn],
      okActions: [topic.arn],
      treatMissingData: 'notBreaching',
    };
    new CloudwatchMetricAlarm(this, 'LoadBalancer5xx', {
      ...common,
      alarmName: `${props.name}-alb-5xx`,
      alarmDescription: 'The load balancer itself answers 5xx (no healthy target, or targets unreachable)',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: loadBalancer,
      statistic: 'Sum',
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: errorsPerMinute,
    });
    new CloudwatchMetricAlarm(this, 'Target5xx', {
      ...common,
      alarmName: `${props.name}-target-5xx`,
      alarmDescription: 'The instances answer 5xx',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: targets,
      statistic: 'Sum',
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: errorsPerMinute,
    });
    new CloudwatchMetricAlarm(this, 'UnhealthyHosts', {
      ...common,
      alarmName: `${props.name}-unhealthy-hosts`,
      alarmDescription: 'At least one instance fails its health check',
      metricName: 'UnHealthyHostCount',
      dimensions: targets,
      statistic: 'Maximum',
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
    new CloudwatchMetricAlarm(this, 'SlowResponses', {
      ...common,
      alarmName: `${props.name}-p99-response-time`,
      alarmDescription: `p99 target response time above ${Token.asString(p99Seconds)} s`,
      metricName: 'TargetResponseTime',
      dimensions: targets,
      extendedStatistic: 'p99',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: p99Seconds,
    });
    this.topicArn = topic.arn;
  }
}
