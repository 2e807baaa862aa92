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

  test('covers a region opened before August 2022 and one opened after', () => {
    expect(withAccessLogs.map(([, json]) => json.provider.aws[0].region)).toEqual(['eu-west-1', 'ap-southeast-4']);
  });
});
