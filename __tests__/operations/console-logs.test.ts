import { describe, expect, test } from '@jest/globals';
import { type ConsoleApi, collectConsoles, installSummary, renderConsoles } from '../../operations/console-logs.js';
import type { FleetInstance } from '../../operations/status.js';

const instance = (instanceId: string, lifecycleState = 'InService'): FleetInstance => ({ instanceId, availabilityZone: 'eu-west-1a', lifecycleState, healthStatus: 'Healthy' });

// What a Debian instance's serial console shows: kernel lines, then cloud-final's output as written (StandardOutput=journal+console).
const BOOTED = [
  '[    0.000000] Linux version 6.12.57+deb13-cloud-arm64',
  '[    9.811002] cloud-init[701]: Cloud-init v. 25.1 running \'modules:final\'',
  'webapp-install-release: [+3ms] fetching release 0123456789abcdef',
  'webapp-install-release: [+2411ms] release 0123456789abcdef is serving through Apache on port 80',
  'webapp-install-release: [+2413ms] previous workers on ports 3200 stopped',
  'Cloud-init v. 25.1 finished at Sat, 28 Nov 2026 02:40:31 +0000. Datasource DataSourceEc2Local.  Up 21.44 seconds',
].join('\r\n');
const FAILED = ['[    9.8] cloud-init[701]: webapp-install-release: [+5ms] fetching release 0123456789abcdef', 'webapp-install-release: [+812ms] FAILED: sha256 mismatch for releases/service.zip'].join('\n');

describe('installSummary', () => {
  test("finds the install script's last line, also behind a journal prefix", () => {
    expect(installSummary(BOOTED)).toEqual({ last: '[+2413ms] previous workers on ports 3200 stopped', failed: [] });
  });

  test('finds every FAILED line', () => {
    expect(installSummary(FAILED).failed).toEqual(['[+812ms] FAILED: sha256 mismatch for releases/service.zip']);
  });
});

describe('make logs', () => {
  const api = (consoles: Record<string, string | undefined | Error>): ConsoleApi => ({
    instances: async () => Object.keys(consoles).map((id) => instance(id)),
    consoleOutput: async (id) => {
      const found = consoles[id];
      if (found instanceof Error) throw found;
      return { text: found, timestamp: new Date('2026-11-28T02:41:00Z') };
    },
  });

  test('prints each console under a heading, then per instance the install line that matters: the last one, or the FAILED one', async () => {
    const consoles = await collectConsoles(api({ 'i-0aaa': BOOTED, 'i-0bbb': FAILED, 'i-0ccc': undefined, 'i-0ddd': new Error('UnauthorizedOperation: not allowed') }), 'webapp-dev');
    const text = renderConsoles('webapp-dev', consoles);
    expect(text).toContain('==> i-0aaa (InService, eu-west-1a), console as of 2026-11-28T02:41:00.000Z\n[    0.000000] Linux version');
    expect(text.split('\n').slice(-6)).toEqual([
      "webapp-dev: the install script's last line, or its FAILED lines, per instance",
      '  i-0aaa  [+2413ms] previous workers on ports 3200 stopped',
      '  i-0bbb  [+812ms] FAILED: sha256 mismatch for releases/service.zip',
      '  i-0ccc  no output yet',
      '  i-0ddd  cannot be read',
      '',
    ]);
    expect(text).toContain('==> i-0ddd (InService, eu-west-1a): cannot be read: UnauthorizedOperation: not allowed');
  });

  test('INSTANCE picks one instance; one not in the group is refused, naming those that are', async () => {
    const fleet = api({ 'i-0aaa': BOOTED, 'i-0bbb': FAILED });
    expect((await collectConsoles(fleet, 'webapp-dev', 'i-0bbb')).map((entry) => entry.instance.instanceId)).toEqual(['i-0bbb']);
    await expect(collectConsoles(fleet, 'webapp-dev', 'i-0fff')).rejects.toThrow('INSTANCE=i-0fff is not an instance of webapp-dev; its instances: i-0aaa, i-0bbb');
  });

  test('a group without instances says so', () => {
    expect(renderConsoles('webapp-dev', [])).toBe('webapp-dev has no instances\n');
  });
});
