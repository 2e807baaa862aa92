// Name limits of AWS and of the provider, checked on every name the stacks derive. Each row names its source.
import { describe, expect, test } from '@jest/globals';
import type { Json } from '../synth.js';
import { EVERY_STACK, stack } from './stacks.js';

interface NameRule {
  readonly type: string;
  readonly attribute: string;
  readonly maxLength: number;
  readonly pattern?: RegExp;
  readonly source: string;
}

// A generated name is the prefix and a 26-character unique suffix (the provider's id.UniqueId).
const NAME_RULES: readonly NameRule[] = [
  { type: 'aws_s3_bucket', attribute: 'bucket', maxLength: 63, pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, source: 'S3 user guide, general purpose bucket naming rules' },
  { type: 'aws_s3_bucket', attribute: 'bucket_prefix', maxLength: 37, pattern: /^[a-z0-9][a-z0-9.-]*$/, source: 'provider aws_s3_bucket: bucket_prefix at most 37 (63 less the suffix)' },
  { type: 'aws_lb', attribute: 'name', maxLength: 32, pattern: /^(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, source: 'ELB API reference, CreateLoadBalancer Name: 32 characters, not beginning with internal-' },
  { type: 'aws_lb_target_group', attribute: 'name_prefix', maxLength: 6, source: 'provider aws_lb_target_group: name_prefix at most 6' },
  { type: 'aws_iam_role', attribute: 'name_prefix', maxLength: 38, source: 'provider aws_iam_role: name_prefix at most 38 (64 less the suffix)' },
  { type: 'aws_iam_instance_profile', attribute: 'name_prefix', maxLength: 102, source: 'provider aws_iam_instance_profile: name_prefix at most 102 (128 less the suffix)' },
  { type: 'aws_iam_role_policy', attribute: 'name_prefix', maxLength: 102, source: 'provider aws_iam_role_policy: name_prefix at most 102 (128 less the suffix)' },
  { type: 'aws_launch_template', attribute: 'name_prefix', maxLength: 99, pattern: /^[a-zA-Z0-9().\/_-]{3,}$/, source: 'provider aws_launch_template: name_prefix 3-99 characters (125 less the suffix)' },
  { type: 'aws_security_group', attribute: 'name_prefix', maxLength: 229, pattern: /^(?!sg-)/, source: 'provider aws_security_group: name_prefix at most 229 (255 less the suffix), not beginning with sg-' },
  { type: 'aws_autoscaling_group', attribute: 'name', maxLength: 255, source: 'EC2 Auto Scaling API reference, AutoScalingGroupName: 1-255' },
  { type: 'aws_sns_topic', attribute: 'name', maxLength: 256, pattern: /^[A-Za-z0-9_-]+$/, source: 'SNS API reference, CreateTopic Name: up to 256 letters, digits, hyphens, underscores' },
  { type: 'aws_cloudwatch_metric_alarm', attribute: 'alarm_name', maxLength: 255, source: 'CloudWatch API reference, PutMetricAlarm AlarmName: 1-255' },
  { type: 'aws_kms_alias', attribute: 'name', maxLength: 256, pattern: /^alias\/(?!aws\/)[a-zA-Z0-9/_-]+$/, source: 'KMS API reference, CreateAlias AliasName: up to 256, alias/ but not alias/aws/' },
];

/** Every literal value of the rule's attribute in a stack (values with references are checked where they resolve). */
function namesFor(json: Json, rule: NameRule): string[] {
  return Object.values<Json>(json.resource?.[rule.type] ?? {})
    .map((resource) => resource[rule.attribute])
    .filter((value): value is string => typeof value === 'string' && !value.includes('${'));
}

describe('derived names', () => {
  const rows = EVERY_STACK.flatMap(([label, json]) => NAME_RULES.flatMap((rule) => namesFor(json, rule).map((name) => [label, rule.type, rule.attribute, name, rule] as const)));

  test.each(rows)('%s: %s.%s %j is within its limit', (_label, _type, _attribute, name, rule) => {
    expect(name.length).toBeLessThanOrEqual(rule.maxLength);
    if (rule.pattern) expect(name).toMatch(rule.pattern);
  });

  // The maximal configuration's names are as long as the configuration allows, so the rows above
  // hold at the limit; these checks keep it that way.
  test('the maximal stack reaches the longest allowed names', () => {
    const json = stack('maximal/webapp-everything');
    const prefixes = namesFor(json, NAME_RULES[1]);
    expect(Math.max(...prefixes.map((prefix) => prefix.length))).toBe(37);
    expect(rows.length).toBeGreaterThan(40);
  });
});
