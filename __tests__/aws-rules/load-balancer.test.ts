// AWS's rules for the load balancer that the emulator does not enforce. Each test names its source.
import { describe, expect, test } from '@jest/globals';
import { dataOf, type Json, onlyResource, resourcesOf } from '../synth.js';
import { policyDocumentBehind } from './policy.js';
import { WEB_APP_STACKS } from './stacks.js';

const withAccessLogs = WEB_APP_STACKS.filter(([, json]) => onlyResource(json, 'aws_lb').access_logs?.enabled === true);

/** The statement of the access-log bucket's policy that lets the load balancing service write. */
function logDeliveryStatement(json: Json) {
  const policies = Object.values(resourcesOf(json, 'aws_s3_bucket_policy')) as Json[];
  const statements = policies.flatMap((policy) => policyDocumentBehind(json, policy.policy));
  const delivery = statements.filter((statement) => statement.sid === 'AllowLoadBalancerLogDelivery');
  expect(delivery).toHaveLength(1);
  return delivery[0];
}

describe('load balancer: access-log delivery', () => {
  // Source: Elastic Load Balancing user guide, "Enable access logs for your Application Load Balancer",
  // bucket policy: the principal logdelivery.elasticloadbalancing.amazonaws.com, recommended in every
  // region; the legacy regional ELB account exists only in regions opened before August 2022 ("Regions
  // that are not in this list do not support the legacy policy"), and the provider's
  // aws_elb_service_account fails in the others.
  test.each(withAccessLogs)('%s: grants the log delivery service only, and never asks for an ELB account', (_label, json) => {
    expect(logDeliveryStatement(json).principals).toEqual([{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }]);
    expect(logDeliveryStatement(json).actions).toEqual(['s3:PutObject']);
    expect(dataOf(json, 'aws_elb_service_account')).toEqual({});
  });

  // Source: IAM User Guide, "IAM JSON policy elements: Condition operators": a negated operator such as
  // StringNotEquals matches when the key is missing from the request, "Condition operator to check
  // existence of condition keys" (Null), and "several condition operators ... are evaluated using a
  // logical AND". AWS's ALB access-log policy shows no aws:SourceAccount for this principal, so the
  // account check must never apply when the service does not send the key: the Allow carries no
  // condition, and the Deny for other accounts needs the key present.
  test.each(withAccessLogs)('%s: refuses other accounts only when the service names one, never stopping our own logs', (_label, json) => {
    expect(logDeliveryStatement(json).condition ?? []).toEqual([]);
    const policies = Object.values(resourcesOf(json, 'aws_s3_bucket_policy')) as Json[];
    const deny = policies.flatMap((policy) => policyDocumentBehind(json, policy.policy)).filter((statement) => statement.sid === 'DenyLogDeliveryForOtherAccounts');
    expect(deny).toHaveLength(1);
    expect(deny[0].effect).toBe('Deny');
    expect(deny[0].condition).toContainEqual({ test: 'Null', variable: 'aws:SourceAccount', values: ['false'] });
    expect(deny[0].condition).toContainEqual(expect.objectContaining({ test: 'StringNotEquals', variable: 'aws:SourceAccount' }));
  });

  test('covers a region opened before August 2022 and one opened after', () => {
    expect(withAccessLogs.map(([, json]) => json.provider.aws[0].region)).toEqual(['eu-west-1', 'ap-southeast-4']);
  });
});
