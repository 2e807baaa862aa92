import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The cached Debian 13 root filesystem tarball, built on first use by scripts/debian-rootfs.sh. */
export function debianRootfsTarball(): string {
  if (process.getuid?.() !== 0) throw new Error('booting the Debian 13 root filesystem needs root (chroot, mounts); CI runs as root');
  const run = spawnSync(join(import.meta.dirname, '..', 'scripts', 'debian-rootfs.sh'), { encoding: 'utf8', timeout: 900_000 });
  if (run.status !== 0) throw new Error(`scripts/debian-rootfs.sh failed:\n${run.stderr}`);
  return run.stdout.trim().split('\n').at(-1)!;
}

/** A fresh copy of the root filesystem with /proc, /sys and /dev mounted, as a booting machine has them. */
export class Chroot {
  readonly root: string;
  private readonly mounts: string[] = [];

  constructor(tarball: string) {
    this.root = join(mkdtempSync(join(tmpdir(), 'boot-')), 'root');
    mkdirSync(this.root);
    execFileSync('tar', ['-C', this.root, '-xzf', tarball]);
    copyFileSync('/etc/resolv.conf', join(this.root, 'etc', 'resolv.conf'));
    for (const [type, target, source] of [['proc', 'proc', 'proc'], ['sysfs', 'sys', 'sys'], ['bind', 'dev', '/dev']]) {
      const path = join(this.root, target);
      execFileSync('mount', type === 'bind' ? ['--bind', source, path] : ['-t', type, source, path]);
      this.mounts.unshift(path);
    }
  }

  run(command: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000) {
    return spawnSync('chroot', [this.root, ...command], { encoding: 'utf8', timeout: timeoutMs, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env } });
  }

  /** As `run`, without blocking the event loop (so the test can send traffic meanwhile). */
  runAsync(command: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('chroot', [this.root, ...command], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** Kills what runs inside, unmounts, and removes the copy (never crossing into a mount). */
  destroy(): void {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        if (readlinkSync(`/proc/${pid}/root`) === this.root) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already, or not ours to read
      }
    }
    spawnSync('sleep', ['0.5']);
    for (const path of this.mounts) spawnSync('umount', ['-l', path]);
    const mounted = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout.split('\n').filter((target) => target.startsWith(this.root));
    if (mounted.length > 0) throw new Error(`still mounted, not removing ${this.root}: ${mounted.join(', ')}`);
    execFileSync('rm', ['-rf', '--one-file-system', join(this.root, '..')]);
  }
}
