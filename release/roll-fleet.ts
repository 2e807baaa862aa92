// The release step after Terraform: Terraform writes a new launch template version and leaves the
// group on the one it runs; this starts the instance refresh to the new version with a desired
// configuration and auto rollback, follows it to the end, and reports success or the rollback with
// AWS's reason. Because the group still names the old version while the refresh runs, AWS's auto
// rollback returns the fleet to the previous release (provider issue 34189 is why Terraform may not
// move the group itself). `rollback` is the same path to the version before the group's.

/** The group's launch configuration as the refresh needs it. */
export interface GroupConfiguration {
  readonly launchTemplateId: string;
  /** The version number the group names (never $Latest or $Default: AWS cannot roll back from those). */
  readonly version: number;
  /** The group's mixed instances policy (Spot), if it has one; the desired configuration then carries it whole. */
  readonly mixedInstancesPolicy?: MixedInstancesPolicy;
}

/** As AWS's MixedInstancesPolicy, only what the refresh touches spelled out. */
export interface MixedInstancesPolicy {
  readonly LaunchTemplate?: { readonly LaunchTemplateSpecification?: { readonly LaunchTemplateId?: string; readonly Version?: string }; readonly Overrides?: unknown };
  readonly InstancesDistribution?: unknown;
}

export interface DesiredConfiguration {
  readonly LaunchTemplate?: { readonly LaunchTemplateId: string; readonly Version: string };
  readonly MixedInstancesPolicy?: MixedInstancesPolicy;
}

/** The StartInstanceRefresh request, in AWS's own field names. */
export interface InstanceRefreshRequest {
  readonly AutoScalingGroupName: string;
  readonly Strategy: 'Rolling';
  readonly DesiredConfiguration: DesiredConfiguration;
  readonly Preferences: {
    readonly MinHealthyPercentage: number;
    readonly MaxHealthyPercentage: number;
    readonly AutoRollback: boolean;
    readonly SkipMatching: boolean;
  };
}

export type RefreshStatus = 'Pending' | 'InProgress' | 'Successful' | 'Failed' | 'Cancelling' | 'Cancelled' | 'RollbackInProgress' | 'RollbackFailed' | 'RollbackSuccessful' | 'Baking';

export interface RefreshState {
  readonly id: string;
  readonly status: RefreshStatus;
  readonly statusReason?: string;
  readonly percentageComplete?: number;
  readonly instancesToUpdate?: number;
  /** The version the refresh moves to, from its desired configuration. */
  readonly desiredVersion?: number;
  readonly startTime?: Date;
}

/** What the release step asks of AWS (an SDK-backed implementation lives in scripts/release.ts). */
export interface FleetApi {
  groupConfiguration(groupName: string): Promise<GroupConfiguration>;
  /** The template's default version: the one Terraform's last apply made (update_default_version). */
  defaultTemplateVersion(launchTemplateId: string): Promise<number>;
  /** Every version number of the template, ascending. */
  templateVersions(launchTemplateId: string): Promise<number[]>;
  startInstanceRefresh(request: InstanceRefreshRequest): Promise<string>;
  /** The group's refreshes, newest first. */
  instanceRefreshes(groupName: string): Promise<RefreshState[]>;
  /** Only for the emulator, which has no instance refresh: names the version on the group. */
  setGroupVersion(groupName: string, configuration: DesiredConfiguration): Promise<void>;
}

/** Launch before terminate: capacity never dips; AWS allows a maximum at most 100 above the minimum (RefreshPreferences). */
export const REFRESH_PREFERENCES = { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, AutoRollback: true, SkipMatching: true } as const;

const TERMINAL: ReadonlySet<RefreshStatus> = new Set(['Successful', 'Failed', 'Cancelled', 'RollbackFailed', 'RollbackSuccessful']);

/** The desired configuration for `version`: the group's own, with only the launch template version changed. */
export function desiredConfiguration(group: GroupConfiguration, version: number): DesiredConfiguration {
  if (!group.mixedInstancesPolicy) return { LaunchTemplate: { LaunchTemplateId: group.launchTemplateId, Version: String(version) } };
  const template = group.mixedInstancesPolicy.LaunchTemplate;
  return {
    MixedInstancesPolicy: {
      ...group.mixedInstancesPolicy,
      LaunchTemplate: { ...template, LaunchTemplateSpecification: { LaunchTemplateId: group.launchTemplateId, Version: String(version) } },
    },
  };
}

export function instanceRefreshRequest(groupName: string, group: GroupConfiguration, version: number, replaceAll = false): InstanceRefreshRequest {
  return {
    AutoScalingGroupName: groupName,
    Strategy: 'Rolling',
    DesiredConfiguration: desiredConfiguration(group, version),
    Preferences: { ...REFRESH_PREFERENCES, SkipMatching: !replaceAll },
  };
}

export interface RollOptions {
  readonly groupName: string;
  /** Local mode: the emulator has no StartInstanceRefresh; the group is moved to the version without rolling instances. */
  readonly emulator?: boolean;
  /** Roll to a version whose last refresh was rolled back, or that a rollback left. @default false */
  readonly retryRolledBack?: boolean;
  /**
   * The patch path: replace every instance even when it already runs the target version (new
   * instances boot with the archive's newest packages). @default false - only instances not on it
   */
  readonly replaceAll?: boolean;
  readonly log: (line: string) => void;
  /** Time between progress polls. @default 15000 */
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Give up following after this long (the refresh goes on in AWS). @default 2 hours */
  readonly timeoutMs?: number;
}

export type RollOutcome =
  | { readonly kind: 'unchanged'; readonly version: number }
  | { readonly kind: 'refused'; readonly version: number; readonly reason: string }
  | { readonly kind: 'moved-without-refresh'; readonly from: number; readonly to: number }
  | { readonly kind: 'finished'; readonly from: number; readonly to: number; readonly refresh: RefreshState };

/** Rolls the fleet to the template's default version (what Terraform just wrote): the release step. */
export async function rollToRelease(api: FleetApi, options: RollOptions): Promise<RollOutcome> {
  const group = await api.groupConfiguration(options.groupName);
  const target = await api.defaultTemplateVersion(group.launchTemplateId);
  if (target === group.version && !options.replaceAll) {
    options.log(`${options.groupName} already runs launch template version ${target}: nothing to roll`);
    return { kind: 'unchanged', version: target };
  }
  if (!options.emulator && !options.retryRolledBack) {
    const reason = rolledBackEarlier(await api.instanceRefreshes(options.groupName), target);
    if (reason) {
      options.log(`not rolling to version ${target}: ${reason}. Ship a fixed release, or set RETRY_RELEASE=1 to try it again.`);
      return { kind: 'refused', version: target, reason };
    }
  }
  return moveTo(api, options, group, target);
}

/** Rolls the fleet back to the launch template version before the one the group runs. */
export async function rollBack(api: FleetApi, options: RollOptions): Promise<RollOutcome> {
  const group = await api.groupConfiguration(options.groupName);
  const previous = (await api.templateVersions(group.launchTemplateId)).filter((version) => version < group.version).pop();
  if (previous === undefined) {
    const reason = `version ${group.version} is the template's first; there is no earlier release to go back to`;
    options.log(`cannot roll back ${options.groupName}: ${reason}`);
    return { kind: 'refused', version: group.version, reason };
  }
  options.log(`rolling ${options.groupName} back from launch template version ${group.version} to ${previous}`);
  return moveTo(api, options, group, previous);
}

async function moveTo(api: FleetApi, options: RollOptions, group: GroupConfiguration, target: number): Promise<RollOutcome> {
  if (options.emulator) {
    await api.setGroupVersion(options.groupName, desiredConfiguration(group, target));
    options.log(`emulator: no instance refresh (moto lacks StartInstanceRefresh); ${options.groupName} now names version ${target}, its instances are not replaced`);
    return { kind: 'moved-without-refresh', from: group.version, to: target };
  }
  const id = await api.startInstanceRefresh(instanceRefreshRequest(options.groupName, group, target, options.replaceAll));
  const what = target === group.version ? `every instance of ${options.groupName}, on launch template version ${target}` : `${options.groupName} from launch template version ${group.version} to ${target}`;
  options.log(`instance refresh ${id}: ${what} (launch before terminate, auto rollback)`);
  const refresh = await follow(api, options, id);
  return { kind: 'finished', from: group.version, to: target, refresh };
}

async function follow(api: FleetApi, options: RollOptions, id: string): Promise<RefreshState> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? 2 * 60 * 60 * 1000);
  let last = '';
  for (;;) {
    const refresh = (await api.instanceRefreshes(options.groupName)).find((candidate) => candidate.id === id);
    if (!refresh) throw new Error(`instance refresh ${id} of ${options.groupName} is not listed by AWS`);
    const line = progressLine(refresh);
    if (line !== last) options.log(line);
    last = line;
    if (TERMINAL.has(refresh.status)) return refresh;
    if (Date.now() > deadline) throw new Error(`stopped following instance refresh ${id} after ${options.timeoutMs} ms; it goes on in AWS (${line})`);
    await sleep(options.pollIntervalMs ?? 15_000);
  }
}

export function progressLine(refresh: RefreshState): string {
  const progress = refresh.percentageComplete === undefined ? '' : ` ${refresh.percentageComplete}%`;
  const remaining = refresh.instancesToUpdate === undefined ? '' : `, ${refresh.instancesToUpdate} instance(s) to update`;
  return `  ${refresh.status}${progress}${remaining}${refresh.statusReason ? `: ${refresh.statusReason}` : ''}`;
}

/**
 * Why `target` should not be rolled to again without asking, or undefined: its last refresh was
 * rolled back (or failed), or a later refresh left it for an earlier version (`make rollback`).
 */
export function rolledBackEarlier(refreshes: readonly RefreshState[], target: number): string | undefined {
  const newestFirst = [...refreshes].sort((a, b) => (b.startTime?.getTime() ?? 0) - (a.startTime?.getTime() ?? 0));
  const lastToTarget = newestFirst.findIndex((refresh) => refresh.desiredVersion === target);
  if (lastToTarget === -1) return undefined;
  const refresh = newestFirst[lastToTarget];
  if (['RollbackSuccessful', 'RollbackFailed', 'Failed', 'Cancelled'].includes(refresh.status)) {
    return `its last instance refresh (${refresh.id}) ended ${refresh.status}${refresh.statusReason ? `: ${refresh.statusReason}` : ''}`;
  }
  const leftFor = newestFirst.slice(0, lastToTarget).find((later) => later.status === 'Successful' && (later.desiredVersion ?? target) < target);
  if (leftFor) return `instance refresh ${leftFor.id} rolled the fleet back from it to version ${leftFor.desiredVersion}`;
  return undefined;
}

/** The command's exit code for an outcome: 0 when the fleet ends on the version asked for. */
export function exitCodeOf(outcome: RollOutcome): number {
  if (outcome.kind === 'refused') return 4;
  if (outcome.kind === 'finished') return outcome.refresh.status === 'Successful' ? 0 : 1;
  return 0;
}
