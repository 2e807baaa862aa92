// Terraform's own requirements of every stack. Each test names its source.
import { describe, expect, test } from '@jest/globals';
import { EVERY_STACK } from './stacks.js';

describe('terraform version', () => {
  // Source: Terraform's S3 backend documentation: `use_lockfile` is generally available from Terraform
  // 1.11 (experimental in 1.10). An older Terraform must refuse the stack instead of misreading it.
  test.each(EVERY_STACK)('%s: requires Terraform 1.11 or later', (_label, json) => {
    expect(json.terraform.required_version).toBe('>= 1.11');
  });
});
