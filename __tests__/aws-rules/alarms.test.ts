// AWS's rules for the alarm topic that the emulator does not enforce. Each test names its source.
import { describe, expect, test } from '@jest/globals';
import { type Json, onlyResource } from '../synth.js';
import { allowsService, policyDocumentBehind, resourceBehind } from './policy.js';
import { WEB_APP_STACKS } from './stacks.js';

describe('alarm topic', () => {
  // Source: Amazon SNS developer guide, "Configuring AWS KMS permissions" / "Compatibility with
  // AWS services": CloudWatch publishes to an encrypted topic only with a customer managed key whose
  // policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*; the AWS managed key
  // alias/aws/sns has a fixed policy that does not, so the alarm fires and nothing is delivered.
  test.each(WEB_APP_STACKS)('%s: is encrypted with a key CloudWatch may use', (_label, json) => {
    const topic = onlyResource(json, 'aws_sns_topic');
    expect(topic.kms_master_key_id).not.toMatch(/^alias\/aws\//);
    const key = resourceBehind(json, 'aws_kms_key', topic.kms_master_key_id);
    const statements = policyDocumentBehind(json, key.policy);
    expect(statements.some((statement) => allowsService(statement, 'cloudwatch.amazonaws.com', ['kms:Decrypt', 'kms:GenerateDataKey']))).toBe(true);
  });

  // Source: AWS KMS developer guide, "Default key policy": without a statement for the account the
  // key cannot be managed by anyone (AWS refuses such a policy unless BypassPolicyLockoutSafetyCheck).
  test.each(WEB_APP_STACKS)('%s: its key stays manageable by the account and rotates', (_label, json) => {
    const key: Json = resourceBehind(json, 'aws_kms_key', onlyResource(json, 'aws_sns_topic').kms_master_key_id);
    const statements = policyDocumentBehind(json, key.policy);
    const administration = statements.find((statement) => (statement.principals ?? []).some((principal) => principal.type === 'AWS') && statement.actions?.includes('kms:*'));
    expect(administration?.principals?.[0].identifiers).toEqual([expect.stringMatching(/^\$\{data\.aws_caller_identity\.\w+\.account_id\}$/)]);
    expect(key.enable_key_rotation).toBe(true);
    expect(key.bypass_policy_lockout_safety_check).toBeUndefined();
  });

  // Source: AWS KMS API reference, ScheduleKeyDeletion PendingWindowInDays: 7 to 30 days.
  test.each(WEB_APP_STACKS)('%s: its key waits 7 to 30 days before deletion, as KMS allows', (_label, json) => {
    const key: Json = resourceBehind(json, 'aws_kms_key', onlyResource(json, 'aws_sns_topic').kms_master_key_id);
    expect(key.deletion_window_in_days).toBeGreaterThanOrEqual(7);
    expect(key.deletion_window_in_days).toBeLessThanOrEqual(30);
  });
});
