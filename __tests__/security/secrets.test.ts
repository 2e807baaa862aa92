// No credential reaches the synthesized Terraform or the user data; the instance role only reads releases.
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Testing } from 'cdktf';
import { loadConfig } from '../../config/load-config.js';
import { RELEASE_KEY_PREFIX, RUNTIME_KEY_PREFIX } from '../../constants.js';
import { renderUserData } from '../../provisioning/render-user-data.js';
import { WebAppStack } from '../../stacks/web-app-stack.js';
import { SAMPLE_INPUT } from '../provisioning/sample-input.js';
import { dataOf, fixtureArtifacts, type Json } from '../synth.js';

const config = loadConfig(join(import.meta.dirname, '..', '..', 'config'));
const synthesized = (emulator?: { endpoint: string }) =>
  config.environments.map((environment) => Testing.synth(new WebAppStack(Testing.app(), `webapp-${environment.name}`, { project: config.project, environment, ...fixtureArtifacts(environment), emulator })));

/** Access key ids, secret-looking assignments, private keys, and provider credential arguments. */
const CREDENTIAL = /\b(AKIA|ASIA)[0-9A-Z]{16}\b|aws_secret_access_key|"(access_key|secret_key|token|password)"\s*:|-----BEGIN [A-Z ]*PRIVATE KEY-----|(secret|password|token)\w*\s*[=:]\s*["']?[A-Za-z0-9/+]{20,}/i;
const leaked = (text: string) => text.replace(/[0-9a-f]{64}/g, '').match(CREDENTIAL)?.[0];

describe('secrets', () => {
  test('the pattern finds what it looks for (so a clean result means something)', () => {
    for (const leak of ['AKIAIOSFODNN7EXAMPLE', '"secret_key": "x"', 'aws_secret_access_key=1', 'DB_PASSWORD=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', '-----BEGIN RSA PRIVATE KEY-----']) {
      expect(leaked(leak)).toBeDefined();
    }
  });

  test.each([
    ['real AWS', undefined],
    ['local mode', { endpoint: 'http://127.0.0.1:4566' }],
  ])('no credential in the synthesized stacks (%s): the provider takes them from its environment', (_mode, emulator) => {
    for (const stack of synthesized(emulator)) {
      // The user data is in the JSON as well (a local); asset paths and hashes are hex, not base64 keys.
      expect(leaked(stack)).toBeUndefined();
      const provider = JSON.parse(stack).provider.aws[0];
      expect(Object.keys(provider).filter((key) => /^(access_key|secret_key|token|profile|shared_credentials_files|assume_role)$/.test(key))).toEqual([]);
    }
  });

  test('no credential in the user data: instances get theirs from the instance role through IMDSv2', () => {
    const userData = renderUserData(SAMPLE_INPUT);
    expect(leaked(userData)).toBeUndefined();
    expect(userData).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/);
  });

  test("the instance role only reads the release and runtime prefixes of the artifact bucket, and completes its own group's launch hook", () => {
    const stack: Json = JSON.parse(synthesized()[0]);
    const [releaseRead] = Object.entries(dataOf(stack, 'aws_iam_policy_document')).filter(([name]) => name.includes('ReleaseRead')).map(([, document]) => document);
    for (const statement of releaseRead.statement) {
      expect(statement.effect).toBe('Allow');
      expect(statement.actions.every((action: string) => /^s3:Get(Object|ObjectVersion)$/.test(action))).toBe(true);
      expect(statement.resources).toEqual([`\${aws_s3_bucket.Artifacts_80C0BB10.arn}/${RELEASE_KEY_PREFIX}*`, `\${aws_s3_bucket.Artifacts_80C0BB10.arn}/${RUNTIME_KEY_PREFIX}*`]);
    }
    // One more inline policy: completing its own group's launch hook (webapp-lifecycle), nothing else;
    // no managed one (Debian's images carry no SSM agent to use one).
    const [launchHook] = Object.entries(dataOf(stack, 'aws_iam_policy_document')).filter(([name]) => name.includes('LaunchHook')).map(([, document]) => document);
    expect(launchHook.statement).toEqual([
      {
        sid: 'CompleteOwnLaunchHook',
        effect: 'Allow',
        actions: ['autoscaling:CompleteLifecycleAction'],
        resources: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:autoscaling:\$\{data\.aws_region\.\w+\.name\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:autoScalingGroup:\*:autoScalingGroupName\/webapp-dev$/)],
      },
    ]);
    expect(Object.keys(stack.resource.aws_iam_role_policy)).toHaveLength(2);
    expect(dataOf(stack, 'aws_iam_policy')).toEqual({});
    expect(stack.resource.aws_iam_role_policy_attachment).toBeUndefined();
  });
});
