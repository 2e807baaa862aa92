import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The cached Debian 13 root filesystem tarball, built on first use by scripts/debian-rootfs.sh. */
export function debianRootfsTarball(): string {
  if (process.getuid?.() !== 0) throw new Error('booting the Debian 13 root filesystem needs root (systemd-nspawn); CI runs as root');
  const run = spawnSync(join(import.meta.dirname, '..', 'scripts', 'debian-rootfs.sh'), { encoding: 'utf8', timeout: 900_000 });
  if (run.status !== 0) throw new Error(`scripts/debian-rootfs.sh failed:\n${run.stderr}`);
  return run.stdout.trim().split('\n').at(-1)!;
}

/** Fails loudly when systemd-nspawn is missing: the boot tests never skip. */
export function requireNspawn(): void {
  if (spawnSync('systemd-nspawn', ['--version']).status !== 0) {
    throw new Error('systemd-nspawn is not installed; .ci/run installs it (apt-get install systemd-container)');
  }
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  /** The CPUs the machine runs on, as taskset takes them (`0`, `0-1`): what nproc counts inside. @default - every CPU */
  readonly cpus?: string;
}

/**
 * A fresh copy of the root filesystem, booted with systemd as PID 1 under systemd-nspawn, as an
 * instance boots: its own PID, mount and UTS namespaces, journald, and the host's network (so the
 * loopback emulator and the machine's Apache port are reachable both ways). Commands run inside
 * through nsenter, in all of PID 1's namespaces.
 */
export class Container {
  readonly root: string;
  private nspawn: ChildProcess | undefined;
  /** PID 1 of the running machine, once found (it stays the same until the next start). */
  private leaderPid: number | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private consoleOutput = '';

  constructor(tarball: string) {
    requireNspawn();
    this.root = join(mkdtempSync(join(tmpdir(), 'boot-')), 'root');
    mkdirSync(this.root);
    execFileSync('tar', ['-C', this.root, '-xzf', tarball]);
  }

  /** Boots the machine (returns at once; `waitForInit` waits for PID 1). */
  start(options: StartOptions = {}): void {
    if (this.nspawn && this.nspawn.exitCode === null) throw new Error('the machine is running already');
    this.leaderPid = undefined;
    this.nspawn = spawn(
      'systemd-nspawn',
      // `bpf` is let through nspawn's system call filter so the machine's systemd can attach a unit's
      // IPAddressDeny= firewall (a cgroup BPF program), as systemd on an instance does.
      ['--register=no', '--keep-unit', '--quiet', '--console=read-only', '--resolv-conf=copy-host', '--system-call-filter=bpf', ...(options.cpus ? [`--cpu-affinity=${options.cpus}`] : []), '-D', this.root, '-b'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const nspawn = this.nspawn;
    nspawn.stdout!.on('data', (chunk) => (this.consoleOutput += chunk));
    nspawn.stderr!.on('data', (chunk) => (this.consoleOutput += chunk));
    this.exited = new Promise((resolve) => nspawn.once('exit', (code) => resolve(code)));
  }

  /** Everything the machine wrote to its console since the first start (systemd's and the units' console output). */
  get console(): string {
    return this.consoleOutput;
  }

  /** Whether the machine is running. */
  get running(): boolean {
    return this.nspawn !== undefined && this.nspawn.exitCode === null && this.nspawn.signalCode === null;
  }

  /** PID 1 of the machine as the host sees it: systemd-nspawn's child. */
  private leader(): number | undefined {
    if (!this.running) return undefined;
    if (this.leaderPid !== undefined && existsSync(`/proc/${this.leaderPid}`)) return this.leaderPid;
    const children = spawnSync('pgrep', ['-P', String(this.nspawn!.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    const pid = children.map(Number).find((candidate) => {
      try {
        return readFileSync(`/proc/${candidate}/comm`, 'utf8').trim() === 'systemd';
      } catch {
        return false;
      }
    });
    this.leaderPid = pid;
    return pid;
  }

  /** Waits until systemd runs as the machine's PID 1 and answers (`systemctl is-system-running` says anything but offline). */
  async waitForInit(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the machine stopped while booting:\n${this.consoleOutput.slice(-3000)}`);
      if (this.leader() !== undefined) {
        const state = this.run(['systemctl', 'is-system-running']).stdout.trim();
        if (state && state !== 'offline') return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`systemd did not come up in the machine within ${timeoutMs / 1000} s:\n${this.consoleOutput.slice(-3000)}`);
  }

  private nsenter(command: string[]): string[] {
    const leader = this.leader();
    if (leader === undefined) throw new Error(`the machine is not running; cannot run ${command.join(' ')}`);
    return ['-t', String(leader), '-a', '--', ...command];
  }

  run(command: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): RunResult {
    const run = spawnSync('nsenter', this.nsenter(command), { encoding: 'utf8', timeout: timeoutMs, env: { PATH, LANG: 'C.UTF-8', ...env } });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /** As `run`, without blocking the event loop (so the test can send traffic meanwhile). */
  runAsync(command: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn('nsenter', this.nsenter(command), { env: { PATH, LANG: 'C.UTF-8', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** Powers the machine off through systemd (units stopped in order) and waits until it has. */
  async powerOff(timeoutMs = 120_000): Promise<void> {
    if (!this.running) return;
    this.run(['systemctl', '--no-block', 'poweroff']);
    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timedOut])) === 'timeout') throw new Error(`the machine did not power off within ${timeoutMs / 1000} s`);
  }

  /** Kills the machine (PID 1, so the kernel ends everything in its PID namespace) and removes the copy. */
  destroy(): void {
    const leader = this.leader();
    if (leader !== undefined) spawnSync('kill', ['-KILL', String(leader)]);
    if (this.running) this.nspawn!.kill('SIGKILL');
    // Synchronously (the event loop does not run here): until the machine's PID 1 is gone.
    for (let attempt = 0; attempt < 100 && leader !== undefined && existsSync(`/proc/${leader}`); attempt++) spawnSync('sleep', ['0.1']);
    // nspawn mounts in its own namespace; nothing of the machine is mounted in ours.
    const mounted = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout.split('\n').filter((target) => target.startsWith(this.root));
    if (mounted.length > 0) throw new Error(`still mounted, not removing ${this.root}: ${mounted.join(', ')}`);
    execFileSync('rm', ['-rf', '--one-file-system', join(this.root, '..')]);
  }
}
