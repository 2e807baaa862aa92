// `make status`: one screen per environment, read from AWS (or the emulator) with describe calls
// only. Each section is gathered on its own; one that cannot be read says why and the rest still
// show. The SDK-backed StatusApi lives in scripts/status.ts.
import { gunzipSync } from 'node:zlib';
import { VERSION_PATH } from '../constants.js';

export interface FleetInstance {
  readonly instanceId: string;
  readonly availabilityZone: string;
  /** Auto Scaling's lifecycle state: Pending, InService, Terminating, Warmed:Stopped, ... */
  readonly lifecycleState: string;
  /** Auto Scaling's health status: Healthy or Unhealthy. */
  readonly healthStatus: string;
  /** The launch template version the instance was launched from. */
  readonly templateVersion?: number;
}

export interface GroupView {
  readonly name: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity: number;
  readonly launchTemplateId: string;
  /** The version the group launches new instances from. */
  readonly templateVersion?: number;
  readonly instances: readonly FleetInstance[];
  /** Instances kept ahead in the warm pool, if the group has one. */
  readonly warmInstances: readonly FleetInstance[];
  readonly targetGroupArns: readonly string[];
}

export interface TemplateReleases {
  /** The default version: the one the last deploy wrote. */
  readonly defaultVersion: number;
  /** Release id per template version, read from each version's user data. */
  readonly releaseByVersion: ReadonlyMap<number, string | undefined>;
}

export interface ScalingActivity {
  readonly startTime: Date;
  readonly statusCode: string;
  readonly description: string;
}

export interface AlarmView {
  readonly name: string;
  readonly reason: string;
  readonly since?: Date;
}

export interface ServedVersion {
  readonly releaseId: string;
  readonly instanceId?: string;
}

/** The describe calls `make status` makes. */
export interface StatusApi {
  group(groupName: string): Promise<GroupView>;
  templateReleases(launchTemplateId: string): Promise<TemplateReleases>;
  /** The load balancer's view of each target: healthy, unhealthy, initial, draining, ... by instance id. */
  targetHealth(targetGroupArns: readonly string[]): Promise<ReadonlyMap<string, string>>;
  scalingActivities(groupName: string, count: number): Promise<ScalingActivity[]>;
  /** The environment's alarms: how many there are, and those in ALARM. */
  alarms(namePrefix: string): Promise<{ total: number; firing: AlarmView[] }>;
  /** Where the site answers: the DNS alias, or the load balancer's own name. */
  siteUrl(): Promise<string>;
  servedVersion(siteUrl: string): Promise<ServedVersion>;
}

type Section<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface StatusReport {
  readonly environment: string;
  readonly where: string;
  readonly group: Section<GroupView>;
  readonly releases: Section<TemplateReleases>;
  readonly targetHealth: Section<ReadonlyMap<string, string>>;
  readonly served: Section<ServedVersion & { readonly url: string }>;
  readonly activities: Section<ScalingActivity[]>;
  readonly alarms: Section<{ total: number; firing: AlarmView[] }>;
}

/** How many scaling activities the screen shows. */
export const STATUS_ACTIVITY_COUNT = 5;

async function settle<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

const unavailable = (reason: string): Section<never> => ({ ok: false, reason });

export interface StatusOptions {
  readonly environment: string;
  readonly groupName: string;
  /** Every alarm of the environment starts with this (the environment's resource name and a dash). */
  readonly alarmPrefix: string;
  /** Region, or the emulator's endpoint: shown in the heading. */
  readonly where: string;
}

/** Reads every section; never throws for a section AWS refuses or cannot answer. */
export async function collectStatus(api: StatusApi, options: StatusOptions): Promise<StatusReport> {
  const [group, activities, alarms, served] = await Promise.all([
    settle(() => api.group(options.groupName)),
    settle(() => api.scalingActivities(options.groupName, STATUS_ACTIVITY_COUNT)),
    settle(() => api.alarms(options.alarmPrefix)),
    settle(async () => {
      const url = await api.siteUrl();
      try {
        return { ...(await api.servedVersion(url)), url };
      } catch (error) {
        throw new Error(`${url}${VERSION_PATH}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  ]);
  const noGroup = unavailable('no group to read it from');
  const [releases, targetHealth] = group.ok
    ? await Promise.all([settle(() => api.templateReleases(group.value.launchTemplateId)), settle(() => api.targetHealth(group.value.targetGroupArns))])
    : [noGroup, noGroup];
  return { environment: options.environment, where: options.where, group, releases, targetHealth, served, activities, alarms };
}

/** The release id a launch template version's user data installs (RELEASE_ID in /etc/webapp/release.env). */
export function releaseIdOfUserData(userDataBase64: string | undefined): string | undefined {
  if (!userDataBase64) return undefined;
  const bytes = Buffer.from(userDataBase64, 'base64');
  // The fleet gzips its user data (Fn.base64gzip); gzip starts with 1f 8b.
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  return /^\s*RELEASE_ID=([0-9a-f]{16})\s*$/m.exec(text)?.[1];
}

/** How long `make status` waits for the site's /version. */
export const VERSION_TIMEOUT_MS = 5000;

/** GET <site>/version: the release id and instance that answered, or an error saying what came back instead. */
export async function fetchServedVersion(siteUrl: string, timeoutMs = VERSION_TIMEOUT_MS): Promise<ServedVersion> {
  let response: Response;
  try {
    response = await fetch(`${siteUrl}${VERSION_PATH}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    // Read by shape: fetch's errors come from Node's own realm, where `instanceof Error` may not hold.
    const { name, cause } = error as { name?: string; cause?: { message?: string } };
    throw new Error(name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.message ?? String(error)));
  }
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json().catch(() => undefined)) as { releaseId?: unknown; instanceId?: unknown } | undefined;
  if (typeof body?.releaseId !== 'string') throw new Error('the answer carries no releaseId');
  return { releaseId: body.releaseId, instanceId: typeof body.instanceId === 'string' ? body.instanceId : undefined };
}

const when = (date: Date | undefined) => (date ? `${date.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-');

function releaseLine(label: string, releases: TemplateReleases, version: number | undefined, note: string): string {
  const release = version === undefined ? undefined : releases.releaseByVersion.get(version);
  return `  ${label.padEnd(20)}${(release ?? 'unknown').padEnd(18)}(launch template version ${version ?? '?'}${note})`;
}

/** The screen, as plain text. */
export function renderStatus(report: StatusReport): string {
  const lines = [`${report.environment} (${report.where})`, '', 'Release'];
  const { group, releases, served } = report;
  if (releases.ok) {
    lines.push(releaseLine('the stack ships', releases.value, releases.value.defaultVersion, ', the default'));
    if (group.ok) {
      const behind = group.value.templateVersion !== releases.value.defaultVersion ? '; not the default: a release step is under way or was rolled back' : '';
      lines.push(releaseLine('the group launches', releases.value, group.value.templateVersion, behind));
    }
  } else {
    lines.push(`  releases: cannot be read: ${releases.reason}`);
  }
  lines.push(
    served.ok
      ? `  ${'/version answers'.padEnd(20)}${served.value.releaseId.padEnd(18)}(${served.value.instanceId ?? 'no instance id'}, through ${served.value.url})`
      : `  ${'/version answers'.padEnd(20)}not reachable: ${served.reason}`,
  );

  lines.push('');
  if (group.ok) {
    const g = group.value;
    // Pending, Pending:Wait (a launch hook holds it), Pending:Proceed all count as pending.
    const count = (state: string) => g.instances.filter((instance) => instance.lifecycleState.split(':')[0] === state).length;
    lines.push(`Capacity: desired ${g.desiredCapacity} (min ${g.minSize}, max ${g.maxSize}); ${count('InService')} in service, ${count('Pending')} pending`);
    if (g.warmInstances.length > 0) lines.push(`Warm pool: ${g.warmInstances.length} instance(s)`);
    const health = report.targetHealth;
    const releaseOf = (version: number | undefined) => (releases.ok && version !== undefined ? releases.value.releaseByVersion.get(version) : undefined);
    const rows = [...g.instances, ...g.warmInstances].map((instance) => [
      instance.instanceId,
      instance.availabilityZone,
      instance.lifecycleState,
      instance.healthStatus,
      `target ${health.ok ? (health.value.get(instance.instanceId) ?? 'not registered') : 'unknown'}`,
      `version ${instance.templateVersion ?? '?'}`,
      `release ${releaseOf(instance.templateVersion) ?? 'unknown'}`,
    ]);
    lines.push('Instances', ...(rows.length ? table(rows) : ['  none']));
    if (!health.ok) lines.push(`  (target health cannot be read: ${health.reason})`);
  } else {
    lines.push(`Group: cannot be read: ${group.reason}`);
  }

  lines.push('', 'Last scaling activities');
  const { activities, alarms } = report;
  if (!activities.ok) lines.push(`  cannot be read: ${activities.reason}`);
  else if (activities.value.length === 0) lines.push('  none');
  else lines.push(...table(activities.value.map((activity) => [when(activity.startTime), activity.statusCode, activity.description])));

  lines.push('');
  if (!alarms.ok) lines.push(`Alarms: cannot be read: ${alarms.reason}`);
  else if (alarms.value.firing.length === 0) lines.push(`Alarms: none in ALARM (of ${alarms.value.total})`);
  else lines.push(`Alarms: ${alarms.value.firing.length} in ALARM (of ${alarms.value.total})`, ...alarms.value.firing.map((alarm) => `  ${alarm.name} since ${when(alarm.since)}: ${alarm.reason}`));
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns, two spaces apart, indented by two. */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')}`);
}
