// `make logs`: each instance's console output through ec2:GetConsoleOutput, with no SSH and no
// agent. On Debian's images cloud-init's output, the install script's timestamped lines among it,
// reaches the serial console (docs/operations.md, `make logs`); AWS keeps the last 64 KB of it.
// The SDK-backed ConsoleApi lives in scripts/console-logs.ts.
import type { FleetInstance } from './status.js';

export interface ConsoleOutput {
  /** The console text, decoded; undefined while AWS has none yet. */
  readonly text?: string;
  readonly timestamp?: Date;
}

export interface ConsoleApi {
  /** The group's instances, its warm pool's included. */
  instances(groupName: string): Promise<FleetInstance[]>;
  consoleOutput(instanceId: string): Promise<ConsoleOutput>;
}

export interface InstanceConsole {
  readonly instance: FleetInstance;
  readonly console: { readonly ok: true; readonly value: ConsoleOutput } | { readonly ok: false; readonly reason: string };
}

/** Lines the install script writes start with this (provisioning/files/install-release.sh). */
export const INSTALL_LINE_PREFIX = 'webapp-install-release: ';

/** Reads the console of each instance of the group, or of `instanceId` only (which must be one of them). */
export async function collectConsoles(api: ConsoleApi, groupName: string, instanceId?: string): Promise<InstanceConsole[]> {
  const instances = await api.instances(groupName);
  const chosen = instanceId === undefined ? instances : instances.filter((instance) => instance.instanceId === instanceId);
  if (instanceId !== undefined && chosen.length === 0) {
    throw new Error(`INSTANCE=${instanceId} is not an instance of ${groupName}; its instances: ${instances.map((instance) => instance.instanceId).join(', ') || 'none'}`);
  }
  return Promise.all(
    chosen.map(async (instance): Promise<InstanceConsole> => {
      try {
        return { instance, console: { ok: true, value: await api.consoleOutput(instance.instanceId) } };
      } catch (error) {
        return { instance, console: { ok: false, reason: error instanceof Error ? error.message : String(error) } };
      }
    }),
  );
}

/** The install script's last line and every FAILED line: what a reader looks for first. */
export function installSummary(text: string): { last?: string; failed: string[] } {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.slice(line.indexOf(INSTALL_LINE_PREFIX)))
    .filter((line) => line.startsWith(INSTALL_LINE_PREFIX))
    .map((line) => line.slice(INSTALL_LINE_PREFIX.length).trimEnd());
  return { last: lines.at(-1), failed: lines.filter((line) => /^\[\+\d+ms\] FAILED: /.test(line)) };
}

/** Each console under a heading, then a summary line per instance. */
export function renderConsoles(groupName: string, consoles: readonly InstanceConsole[]): string {
  if (consoles.length === 0) return `${groupName} has no instances\n`;
  const parts: string[] = [];
  const summary: string[] = [];
  for (const { instance, console } of consoles) {
    const heading = `${instance.instanceId} (${instance.lifecycleState}, ${instance.availabilityZone})`;
    if (!console.ok) {
      parts.push(`==> ${heading}: cannot be read: ${console.reason}`);
      summary.push(`  ${instance.instanceId}  cannot be read`);
      continue;
    }
    const { text, timestamp } = console.value;
    if (!text) {
      parts.push(`==> ${heading}: no console output yet (AWS shows it a few minutes after boot)`);
      summary.push(`  ${instance.instanceId}  no output yet`);
      continue;
    }
    parts.push(`==> ${heading}, console as of ${timestamp?.toISOString() ?? 'unknown time'}`, text.trimEnd());
    const { last, failed } = installSummary(text);
    summary.push(`  ${instance.instanceId}  ${failed.length > 0 ? failed.join(' | ') : (last ?? 'no install line on the console')}`);
  }
  return `${[...parts, '', `${groupName}: the install script's last line, or its FAILED lines, per instance`, ...summary].join('\n')}\n`;
}
