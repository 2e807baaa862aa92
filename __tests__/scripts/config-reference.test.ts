import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { DEFAULTS } from '../../constants.js';
import { CONFIGURATION_REFERENCE_PATH, referenceTable, renderConfigurationReference } from '../../scripts/config-reference.js';

describe('docs/configuration.md', () => {
  test('is what the schemas say today (run `npm run docs:config` after changing a schema)', () => {
    expect(readFileSync(CONFIGURATION_REFERENCE_PATH, 'utf8')).toBe(renderConfigurationReference());
  });

  test('shows each default from its one home', () => {
    const reference = renderConfigurationReference();
    expect(reference).toContain(`| \`fleet.cpuTargetPercent\` | \`${DEFAULTS.fleet.cpuTargetPercent}\` |`);
    expect(reference).toContain(`| \`loadBalancer.idleTimeoutSeconds\` | \`${DEFAULTS.loadBalancer.idleTimeoutSeconds}\` |`);
    expect(reference).toContain(`| \`SHUTDOWN_TIMEOUT_MS\` | \`${DEFAULTS.service.shutdownTimeoutSeconds * 1000}\` |`);
  });

  test('refuses a setting the schema does not describe, naming it', () => {
    const schema = z.object({ described: z.number().describe('a number'), section: z.object({ bare: z.string() }) });
    expect(() => referenceTable(schema, 'field')).toThrow('section.bare has no description in its schema');
  });

  test('lists both network variants, a required field as required and a computed default in words', () => {
    const table = referenceTable(z.object({ count: z.number().describe('how many'), name: z.string().optional().meta({ description: 'a name', defaultText: 'the stack name' }) }), 'field');
    expect(table.split('\n').slice(2)).toEqual(['| `count` | required | how many |', '| `name` | the stack name | a name |']);
    expect(renderConfigurationReference()).toMatch(/\| `network\.vpcCidr` \(new\) \|[\s\S]*\| `network\.vpcId` \(existing\) \| required \|/);
  });
});
