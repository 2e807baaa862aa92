import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { escapeTerraformTemplate } from '../../constructs/web-server-fleet.js';
import { renderUserData } from '../../provisioning/render-user-data.js';
import { requireTerraform, terraform } from '../terraform.js';
import { SAMPLE_INPUT } from './sample-input.js';

describe('the user data through the real Terraform', () => {
  beforeAll(requireTerraform);

  test('comes out of a Terraform string exactly as rendered, ${...} and %{...} included', () => {
    // GIVEN the rendered user data, escaped as the fleet puts it in a Terraform local
    const userData = renderUserData(SAMPLE_INPUT);
    expect(userData).toContain('${WEBAPP_ROOT}');
    expect(userData).toContain('%{Referer}i');
    const dir = mkdtempSync(join(tmpdir(), 'tf-escape-'));
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ locals: { user_data: escapeTerraformTemplate(userData) }, output: { user_data: { value: '${local.user_data}' } } }));

    // WHEN Terraform evaluates it
    terraform(dir, ['init', '-input=false', '-no-color']);
    terraform(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
    const output = JSON.parse(terraform(dir, ['output', '-json', 'user_data']));

    // THEN the instance receives the text unchanged
    expect(output).toBe(userData);
  }, 60_000);
});
