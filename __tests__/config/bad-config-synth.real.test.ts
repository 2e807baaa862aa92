// Bad configuration stops `cdktf synth` itself, before Terraform runs: the message names the file,
// the field, the value and the rule, and no stack is written.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { copyWorkspace } from '../lifecycle/workspace.js';
import { terraformEnv } from '../terraform.js';

describe('cdktf synth with a bad environment file', () => {
  test.each<[string, (config: Record<string, any>) => void, RegExp]>([
    ['capacity', (config) => (config.fleet.minCapacity = 9), /config\/environments\/dev\.json: fleet\.minCapacity = 9: must not exceed fleet\.maxCapacity \(3\)/],
    ['an unknown field', (config) => (config.fleet.instanceTyp = 't4g.small'), /config\/environments\/dev\.json: fleet = \{.*\}: unknown field\(s\) instanceTyp/],
  ])('%s: exits non-zero naming the field, and writes no stack', (_name, breakIt, message) => {
    const workspace = copyWorkspace();
    const file = join(workspace.root, 'config', 'environments', 'dev.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    breakIt(config);
    writeFileSync(file, JSON.stringify(config));
    const run = spawnSync(join(workspace.root, 'node_modules', '.bin', 'cdktf'), ['synth'], { cwd: workspace.root, env: terraformEnv({ ENV: '', LOCAL_AWS_ENDPOINT: '', CI: 'true' }), encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(message);
    expect(existsSync(join(workspace.root, 'cdktf.out', 'stacks', 'webapp-dev', 'cdk.tf.json'))).toBe(false);
  }, 120_000);
});
