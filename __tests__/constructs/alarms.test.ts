import { describe, expect, test } from '@jest/globals';
import { Alarms } from '../../constructs/alarms.js';
import { ConfigError } from '../../constructs/config-error.js';
import { onlyResource, resourcesOf, synthScope } from '../synth.js';

describe('Alarms', () => {
  const out = synthScope((scope) => new Alarms(scope, 'Alarms', { name: 'webapp-dev', loadBalancerArnSuffix: 'app/lb/1', targetGroupArnSuffix: 'targetgroup/tg/2', email: 'ops@example.com' }));

  test('sends to an encrypted topic with an email subscription', () => {
    expect(onlyResource(out, 'aws_sns_topic')).toEqual({ name: 'webapp-dev-alarms', kms_master_key_id: 'alias/aws/sns' });
    expect(onlyResource(out, 'aws_sns_topic_subscription')).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
  });

  test('watches load balancer 5xx, target 5xx, unhealthy hosts and p99 response time', () => {
    const alarms = Object.values(resourcesOf(out, 'aws_cloudwatch_metric_alarm')).sort((a, b) => a.metric_name.localeCompare(b.metric_name));
    expect(alarms.map((alarm) => [alarm.metric_name, alarm.statistic ?? alarm.extended_statistic, alarm.threshold])).toEqual([
      ['HTTPCode_ELB_5XX_Count', 'Sum', 10],
      ['HTTPCode_Target_5XX_Count', 'Sum', 10],
      ['TargetResponseTime', 'p99', 1],
      ['UnHealthyHostCount', 'Maximum', 1],
    ]);
    expect(alarms[2].dimensions).toEqual({ LoadBalancer: 'app/lb/1', TargetGroup: 'targetgroup/tg/2' });
    expect(alarms.every((alarm) => alarm.alarm_actions.length === 1)).toBe(true);
  });

  test('refuses a zero threshold', () => {
    expect(() => synthScope((scope) => new Alarms(scope, 'Alarms', { name: 'n', loadBalancerArnSuffix: 'a', targetGroupArnSuffix: 'b', errorsPerMinuteThreshold: 0 }))).toThrow(
      new ConfigError('errorsPerMinuteThreshold (0) must be positive'),
    );
  });
});
