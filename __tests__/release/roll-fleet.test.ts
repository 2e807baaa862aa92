import { describe, expect, test } from '@jest/globals';
import {
  type DesiredConfiguration,
  exitCodeOf,
  type FleetApi,
  type GroupConfiguration,
  type InstanceRefreshRequest,
  instanceRefreshRequest,
  type RefreshState,
  rollBack,
  rolledBackEarlier,
  rollToRelease,
} from '../../release/roll-fleet.js';

/**
 * An Auto Scaling group as far as the release step sees it. StartInstanceRefresh checks the request
 * as AWS's API reference says AWS does (RefreshPreferences, DesiredConfiguration); the refresh then
 * runs through the scripted statuses. Only the emulator path may call setGroupVersion.
 */
class ScriptedFleet implements FleetApi {
  readonly started: InstanceRefreshRequest[] = [];
  readonly moved: DesiredConfiguration[] = [];
  refreshes: RefreshState[] = [];
  private polls = 0;

  constructor(
    public group: GroupConfiguration,
    private readonly defaultVersion: number,
    private readonly versions: number[],
    private readonly script: Array<Partial<RefreshState>> = [{ status: 'InProgress', percentageComplete: 50 }, { status: 'Successful', percentageComplete: 100 }],
  ) {}

  async groupConfiguration() {
    return this.group;
  }
  async defaultTemplateVersion() {
    return this.defaultVersion;
  }
  async templateVersions() {
    return this.versions;
  }
  async startInstanceRefresh(request: InstanceRefreshRequest) {
    const { MinHealthyPercentage: min, MaxHealthyPercentage: max, AutoRollback } = request.Preferences;
    if (min < 0 || min > 100 || max < 100 || max > 200 || max - min > 100) throw new Error(`ValidationError: healthy percentages ${min}/${max}`);
    const desired = request.DesiredConfiguration.LaunchTemplate ?? request.DesiredConfiguration.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (AutoRollback && !desired) throw new Error('ValidationError: The AutoRollback parameter cannot be set to true when the DesiredConfiguration parameter is empty');
    if (desired && !/^\d+$/.test(desired.Version ?? '')) throw new Error('ValidationError: rollback needs a version number, not $Latest or $Default');
    this.started.push(request);
    this.refreshes.unshift({ id: `refresh-${this.started.length}`, status: 'Pending', desiredVersion: Number(desired?.Version), startTime: new Date(1_000_000 + this.started.length) });
    return this.refreshes[0].id;
  }
  async instanceRefreshes() {
    if (this.started.length > 0) this.refreshes[0] = { ...this.refreshes[0], ...this.script[Math.min(this.polls++, this.script.length - 1)] };
    return this.refreshes;
  }
  async setGroupVersion(_groupName: string, configuration: DesiredConfiguration) {
    this.moved.push(configuration);
  }
}

const group: GroupConfiguration = { launchTemplateId: 'lt-1', version: 3 };
const run = (_fleet: FleetApi, extra: { emulator?: boolean; retryRolledBack?: boolean; replaceAll?: boolean } = {}) => {
  const lines: string[] = [];
  return { lines, options: { groupName: 'webapp-dev', log: (line: string) => lines.push(line), sleep: async () => {}, ...extra } };
};

describe('the release step', () => {
  test('rolls the fleet to the version Terraform just wrote, with a desired configuration and auto rollback, and follows it to the end', async () => {
    const fleet = new ScriptedFleet(group, 4, [1, 2, 3, 4]);
    const { lines, options } = run(fleet);
    const outcome = await rollToRelease(fleet, options);
    expect(fleet.started).toEqual([
      {
        AutoScalingGroupName: 'webapp-dev',
        Strategy: 'Rolling',
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '4' } },
        Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, AutoRollback: true, SkipMatching: true },
      },
    ]);
    expect(outcome).toMatchObject({ kind: 'finished', from: 3, to: 4, refresh: { status: 'Successful' } });
    expect(exitCodeOf(outcome)).toBe(0);
    expect(lines).toEqual([
      'instance refresh refresh-1: webapp-dev from launch template version 3 to 4 (launch before terminate, auto rollback)',
      '  InProgress 50%',
      '  Successful 100%',
    ]);
  });

  test('reports a release whose instances never turn healthy as rolled back, with AWS\'s reason, and exits 1', async () => {
    const reason = 'The instance refresh failed: instances failed to pass health checks. Rolling back to the previous configuration.';
    const fleet = new ScriptedFleet(group, 4, [1, 2, 3, 4], [{ status: 'InProgress', percentageComplete: 0 }, { status: 'RollbackInProgress', statusReason: reason }, { status: 'RollbackSuccessful', statusReason: reason }]);
    const { lines, options } = run(fleet);
    const outcome = await rollToRelease(fleet, options);
    expect(outcome).toMatchObject({ kind: 'finished', from: 3, to: 4, refresh: { status: 'RollbackSuccessful', statusReason: reason } });
    expect(exitCodeOf(outcome)).toBe(1);
    expect(lines.at(-1)).toBe(`  RollbackSuccessful 0%: ${reason}`);
  });

  test('does nothing when the group already runs the default version', async () => {
    const fleet = new ScriptedFleet(group, 3, [1, 2, 3]);
    const { lines, options } = run(fleet);
    expect(await rollToRelease(fleet, options)).toEqual({ kind: 'unchanged', version: 3 });
    expect(fleet.started).toEqual([]);
    expect(lines).toEqual(['webapp-dev already runs launch template version 3: nothing to roll']);
  });

  test('refuses to roll again to a version that was rolled back, unless asked (RETRY_RELEASE=1)', async () => {
    const fleet = new ScriptedFleet(group, 4, [1, 2, 3, 4]);
    fleet.refreshes = [{ id: 'old', status: 'RollbackSuccessful', statusReason: 'health checks failed', desiredVersion: 4, startTime: new Date(1) }];
    const refused = run(fleet);
    const outcome = await rollToRelease(fleet, refused.options);
    expect(outcome).toEqual({ kind: 'refused', version: 4, reason: 'its last instance refresh (old) ended RollbackSuccessful: health checks failed' });
    expect(exitCodeOf(outcome)).toBe(4);
    expect(fleet.started).toEqual([]);
    const retried = run(fleet, { retryRolledBack: true });
    expect(await rollToRelease(fleet, retried.options)).toMatchObject({ kind: 'finished', to: 4 });
  });

  test('carries a Spot group\'s whole mixed instances policy, with only the version changed', () => {
    const spot: GroupConfiguration = {
      launchTemplateId: 'lt-1',
      version: 3,
      mixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '3' } }, InstancesDistribution: { OnDemandBaseCapacity: 2 } },
    };
    expect(instanceRefreshRequest('webapp-prod', spot, 4).DesiredConfiguration).toEqual({
      MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '4' } }, InstancesDistribution: { OnDemandBaseCapacity: 2 } },
    });
  });

  test('on the emulator, names the version on the group and says that no instance was replaced', async () => {
    const fleet = new ScriptedFleet(group, 4, [1, 2, 3, 4]);
    const { lines, options } = run(fleet, { emulator: true });
    expect(await rollToRelease(fleet, options)).toEqual({ kind: 'moved-without-refresh', from: 3, to: 4 });
    expect(fleet.moved).toEqual([{ LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '4' } }]);
    expect(fleet.started).toEqual([]);
    expect(lines[0]).toContain('emulator: no instance refresh (moto lacks StartInstanceRefresh)');
  });
});

describe('make patch', () => {
  test('replaces every instance even on the current version: no skip matching, still launch before terminate with auto rollback', async () => {
    const fleet = new ScriptedFleet(group, 3, [1, 2, 3]);
    const { lines, options } = run(fleet, { replaceAll: true });
    expect(await rollToRelease(fleet, options)).toMatchObject({ kind: 'finished', from: 3, to: 3, refresh: { status: 'Successful' } });
    expect(fleet.started[0].Preferences).toEqual({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200, AutoRollback: true, SkipMatching: false });
    expect(fleet.started[0].DesiredConfiguration).toEqual({ LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '3' } });
    expect(lines[0]).toBe('instance refresh refresh-1: every instance of webapp-dev, on launch template version 3 (launch before terminate, auto rollback)');
  });
});

describe('make rollback', () => {
  test('rolls the fleet to the template version before the one it runs, through the same refresh', async () => {
    const fleet = new ScriptedFleet({ ...group, version: 4 }, 4, [1, 2, 3, 4]);
    const { options } = run(fleet);
    expect(await rollBack(fleet, options)).toMatchObject({ kind: 'finished', from: 4, to: 3, refresh: { status: 'Successful' } });
    expect(fleet.started[0].DesiredConfiguration).toEqual({ LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '3' } });
  });

  test('after a rollback, the next release step does not quietly roll forward to the release it left', () => {
    const refreshes: RefreshState[] = [
      { id: 'back', status: 'Successful', desiredVersion: 3, startTime: new Date(2) },
      { id: 'forward', status: 'Successful', desiredVersion: 4, startTime: new Date(1) },
    ];
    expect(rolledBackEarlier(refreshes, 4)).toBe('instance refresh back rolled the fleet back from it to version 3');
    expect(rolledBackEarlier(refreshes, 5)).toBeUndefined();
  });

  test('refuses at the first version, saying so', async () => {
    const fleet = new ScriptedFleet({ ...group, version: 1 }, 1, [1]);
    const { options } = run(fleet);
    expect(await rollBack(fleet, options)).toEqual({ kind: 'refused', version: 1, reason: "version 1 is the template's first; there is no earlier release to go back to" });
  });
});
