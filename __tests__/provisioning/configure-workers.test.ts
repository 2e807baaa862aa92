// webapp-configure-workers, the boot script that lays out one worker per vCPU, run for real (sh,
// nproc, sed) on the rendered files in a temporary /etc, with different CPU counts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { renderProvisioningFiles } from '../../provisioning/render-user-data.js';
import { SAMPLE_INPUT } from './sample-input.js';

/** Lays the rendered files out under a temporary root, /etc/webapp paths moved into it. */
function layOut(input = SAMPLE_INPUT) {
  const root = mkdtempSync(join(tmpdir(), 'configure-workers-'));
  for (const { path, content } of renderProvisioningFiles(input)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content.replaceAll('/etc/webapp/', `${root}/etc/webapp/`));
  }
  const script = join(root, 'usr/local/sbin/webapp-configure-workers');
  const settings = join(root, 'etc/webapp/release.env');
  return {
    root,
    /** Runs the script as cloud-init does, on the CPUs `cpus` names (taskset: what nproc counts). */
    configure: (env: Record<string, string> = {}, cpus?: string) => {
      const command = [...(cpus ? ['taskset', '-c', cpus] : []), 'sh', script, settings];
      const result = spawnSync(command[0], command.slice(1), {
        env: { PATH: process.env.PATH, WEBAPP_ETC: join(root, 'etc/webapp'), SYSTEMD_UNIT_DIR: join(root, 'etc/systemd/system'), ...env },
        encoding: 'utf8',
      });
      return { status: result.status, stderr: result.stderr };
    },
    read: (path: string) => readFileSync(join(root, path), 'utf8'),
    units: () => readdirSync(join(root, 'etc/systemd/system')).filter((name) => name.endsWith('.service')).sort(),
  };
}

const member = (port: number) => `BalancerMember "http://127.0.0.1:${port}" ttl=60 retry=1 connectiontimeout=2 timeout=30 hcmethod=GET hcuri=/health hcinterval=1 hcfails=1 hcpasses=1\n`;
/** A member of the set that does not serve: there, disabled, for the balancer manager to enable. */
const disabled = (port: number) => member(port).replace('\n', ' status=+D\n');

describe('webapp-configure-workers', () => {
  test('on two vCPUs: two workers on each port set, both sets in each members file (the other disabled), a unit per port', () => {
    const machine = layOut();
    expect(machine.configure({}, '0-1')).toEqual({ status: 0, stderr: 'webapp-configure-workers: 2 worker(s) on ports 3000 3001 (next release: 3200 3201)\n' });
    expect(machine.read('etc/webapp/workers.env')).toBe('WORKERS=2\nSERVICE_PORTS_A="3000 3001"\nSERVICE_PORTS_B="3200 3201"\n');
    expect(machine.read('etc/webapp/apache-members-a.conf')).toBe(member(3000) + member(3001) + disabled(3200) + disabled(3201));
    expect(machine.read('etc/webapp/apache-members-b.conf')).toBe(member(3200) + member(3201) + disabled(3000) + disabled(3001));
    expect(machine.read('etc/webapp/apache-members.conf')).toBe(machine.read('etc/webapp/apache-members-a.conf'));
    expect(machine.units()).toEqual(['webapp-3000.service', 'webapp-3001.service', 'webapp-3200.service', 'webapp-3201.service']);
    expect(machine.read('etc/systemd/system/webapp-3201.service.d/worker.conf')).toBe('[Service]\nEnvironment=PORT=3201\nTimeoutStopSec=17\nMemoryMax=512M\n');
    expect(machine.read('etc/systemd/system/webapp-3000.service')).toBe(machine.read('etc/webapp/webapp.service.in'));
  });

  test('on one vCPU: one worker on each set', () => {
    const machine = layOut();
    expect(machine.configure({}, '0').status).toBe(0);
    expect(machine.read('etc/webapp/workers.env')).toBe('WORKERS=1\nSERVICE_PORTS_A="3000"\nSERVICE_PORTS_B="3200"\n');
    expect(machine.read('etc/webapp/apache-members.conf')).toBe(member(3000) + disabled(3200));
    expect(machine.units()).toEqual(['webapp-3000.service', 'webapp-3200.service']);
  });

  test('WORKERS overrides the count, capped at MAX_WORKERS; a bad value is refused, naming it', () => {
    const machine = layOut();
    expect(machine.configure({ WORKERS: '500' }).status).toBe(0);
    expect(machine.read('etc/webapp/workers.env')).toMatch(/^WORKERS=128\nSERVICE_PORTS_A="3000 3001 .* 3127"\nSERVICE_PORTS_B="3200 .* 3327"\n$/);
    expect(machine.configure({ WORKERS: 'many' })).toEqual({ status: 1, stderr: "webapp-configure-workers: WORKERS must be a whole number above 0, got 'many'\n" });
  });

  test('run again after a release switch moved Apache to the second set, it keeps Apache there', () => {
    const machine = layOut();
    machine.configure({ WORKERS: '2' });
    writeFileSync(join(machine.root, 'etc/webapp/apache-members.conf'), machine.read('etc/webapp/apache-members-b.conf'));
    expect(machine.configure({ WORKERS: '3' }).status).toBe(0);
    expect(machine.read('etc/webapp/apache-members.conf')).toBe(member(3200) + member(3201) + member(3202) + disabled(3000) + disabled(3001) + disabled(3002));
  });

  test("makes the balancer manager's password once: readable by root alone, its bcrypt hash by Apache's group", () => {
    const machine = layOut();
    expect(machine.configure({ WORKERS: '1', APACHE_GROUP: 'root' }).status).toBe(0);
    const secret = machine.read('etc/webapp/balancer-manager.secret');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(machine.root, 'etc/webapp/balancer-manager.secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(machine.root, 'etc/webapp/balancer-manager.htpasswd')).mode & 0o777).toBe(0o640);
    const users = machine.read('etc/webapp/balancer-manager.htpasswd');
    expect(users).toMatch(/^webapp-release:\$2y\$/);
    expect(spawnSync('htpasswd', ['-vi', join(machine.root, 'etc/webapp/balancer-manager.htpasswd'), 'webapp-release'], { input: secret }).status).toBe(0);
    // AND run again, it keeps them (Apache and the install script already use them)
    machine.configure({ WORKERS: '1', APACHE_GROUP: 'root' });
    expect([machine.read('etc/webapp/balancer-manager.secret'), machine.read('etc/webapp/balancer-manager.htpasswd')]).toEqual([secret, users]);
  });

  test('copies site-wide worker settings from worker.conf.d into every worker', () => {
    const machine = layOut();
    mkdirSync(join(machine.root, 'etc/webapp/worker.conf.d'));
    writeFileSync(join(machine.root, 'etc/webapp/worker.conf.d/90-site.conf'), '[Service]\nEnvironment=EXTRA=1\n');
    machine.configure({ WORKERS: '1' });
    expect(existsSync(join(machine.root, 'etc/systemd/system/webapp-3000.service.d/90-site.conf'))).toBe(true);
    expect(machine.read('etc/systemd/system/webapp-3200.service.d/90-site.conf')).toBe('[Service]\nEnvironment=EXTRA=1\n');
  });
});
