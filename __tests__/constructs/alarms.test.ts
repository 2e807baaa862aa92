import { describe, expect, test } from '@jest/globals';
import { TerraformVariable } from 'cdktf';
import { Alarms } from '../../constructs/alarms.js';
import { ConfigError } from '../../common/config-error.js';
import { dataOf, onlyResource, resourcesOf, synthScope } from '../synth.js';

describe('Alarms', () => {
  const out = synthScope((scope) => new Alarms(scope, 'Alarms', { name: 'webapp-dev', loadBalancerArnSuffix: 'app/lb/1', targetGroupArnSuffix: 'targetgroup/tg/2', email: 'ops@example.com' }));

  test('sends to a topic encrypted with its own rotating key, with an email subscription', () => {
    expect(onlyResource(out, 'aws_sns_topic')).toEqual({ name: 'webapp-dev-alarms', kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/) });
    expect(onlyResource(out, 'aws_kms_key')).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 7 });
    expect(onlyResource(out, 'aws_kms_alias')).toMatchObject({ name: 'alias/webapp-dev-alarms' });
    expect(onlyResource(out, 'aws_sns_topic_subscription')).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
  });

  test("lets CloudWatch use the topic's key, and the account administer it", () => {
    const [policy] = Object.values(dataOf(out, 'aws_iam_policy_document'));
    expect(policy.statement).toEqual([
      { sid: 'AccountAdministersTheKey', effect: 'Allow', principals: [{ type: 'AWS', identifiers: [expect.stringMatching(/^\$\{data\.aws_caller_identity\.\w+\.account_id\}$/)] }], actions: ['kms:*'], resources: ['*'] },
      { sid: 'CloudWatchPublishesAlarms', effect: 'Allow', principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] },
    ]);
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
      new ConfigError('stack/Alarms: errorsPerMinuteThreshold (0) must be positive'),
    );
  });

  test('skips what is known only at deploy time (Terraform variables) and passes it through, descriptions included', () => {
    const out = synthScope((scope) => {
      const deployTime = (name: string) => new TerraformVariable(scope, name, { type: 'number' }).numberValue;
      new Alarms(scope, 'Alarms', { name: 'n', loadBalancerArnSuffix: 'a', targetGroupArnSuffix: 'b', errorsPerMinuteThreshold: deployTime('errors'), p99ResponseTimeSeconds: deployTime('p99') });
    });
    const thresholds = Object.values(resourcesOf(out, 'aws_cloudwatch_metric_alarm')).map((alarm) => alarm.threshold);
    expect(thresholds).toEqual(expect.arrayContaining(['${var.errors}', '${var.p99}']));
    expect(JSON.stringify(out)).toContain('p99 target response time above ${var.p99} s');
    expect(JSON.stringify(out)).not.toMatch(/e\+\d{3}/);
  });
});
