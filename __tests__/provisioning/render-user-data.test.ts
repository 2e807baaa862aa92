import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { BACKEND_CONNECTION_TTL_SECONDS, FILE_PLACEHOLDERS, renderProvisioningFiles, renderUserData } from '../../provisioning/render-user-data.js';
import { SAMPLE_INPUT } from './sample-input.js';
import { SERVICE_KEEP_ALIVE_TIMEOUT_MS } from '../../constants.js';


const userData = renderUserData(SAMPLE_INPUT);
const document = parse(userData);
const fileAt = (path: string) => renderProvisioningFiles(SAMPLE_INPUT).find((entry) => entry.path === path)!.content;

describe('renderUserData', () => {
  test('is cloud-config that installs Apache and the AWS CLI from Debian, and neither Debian\'s Node.js nor npm', () => {
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    expect(document.package_update).toBe(true);
    // Every instance boots fully patched (the patch policy), rebooting first when a package asks for it.
    expect([document.package_upgrade, document.package_reboot_if_required]).toEqual([true, true]);
    // Node.js comes from the artifact bucket (NODE_RUNTIME), not from Debian's nodejs 20.
    expect(document.packages).toEqual(['apache2', 'awscli', 'python3']);
    expect(userData).not.toMatch(/npm (install|ci)/);
  });

  test('writes the patch policy and the boot trims first, before any package is touched, and every other file after the packages are installed', () => {
    const [policy, trims, ...rest] = document.write_files;
    expect(policy).toEqual({
      path: '/etc/apt/apt.conf.d/99webapp-patch-policy',
      permissions: '0644',
      owner: 'root:root',
      content: expect.stringContaining('APT::Periodic::Enable "0";\nAPT::Periodic::Update-Package-Lists "0";\nAPT::Periodic::Unattended-Upgrade "0";\n'),
    });
    expect(trims).toEqual({
      path: '/etc/apt/apt.conf.d/99webapp-boot',
      permissions: '0644',
      owner: 'root:root',
      content: expect.stringContaining('Acquire::Languages "none";\nAcquire::IndexTargets::deb-src::Sources::DefaultEnabled "false";\nAPT::Install-Recommends "false";\n'),
    });
    // bootcmd runs in cloud-init's first module stage: man-db's index rebuild is off before any package trigger.
    expect(document.bootcmd).toEqual(["echo 'man-db man-db/auto-update boolean false' | debconf-set-selections && rm -f /var/lib/man-db/auto-update"]);
    expect(rest.map((entry: { path: string }) => entry.path)).toEqual([
      '/etc/webapp/release.env',
      '/etc/webapp/service.env',
      '/etc/apache2/ports.conf',
      '/etc/apache2/conf-available/webapp-backend.conf',
      '/etc/webapp/apache-member.conf.in',
      '/etc/apache2/sites-available/webapp.conf',
      // The worker unit and its drop-in as templates: webapp-configure-workers installs one per port at boot.
      '/etc/webapp/webapp.service.in',
      '/etc/webapp/worker.conf.in',
      '/usr/local/sbin/webapp-configure-workers',
      '/usr/local/sbin/webapp-install-release',
    ]);
    expect(rest.every((entry: { defer: boolean; owner: string }) => entry.defer === true && entry.owner === 'root:root')).toBe(true);
    expect(document.write_files.at(-1).permissions).toBe('0755');
  });

  test('sets Apache up, then installs the release (which starts and enables the workers)', () => {
    expect(document.runcmd).toEqual([
      ['a2dissite', '000-default'],
      ['a2enmod', '-q', 'proxy', 'proxy_http', 'proxy_balancer', 'lbmethod_byrequests', 'lbmethod_bybusyness', 'slotmem_shm', 'proxy_hcheck', 'headers', 'remoteip', 'reqtimeout', 'alias', 'allowmethods', 'socache_shmcb', 'cache', 'cache_socache', 'auth_basic', 'authn_core', 'authn_file', 'authz_user'],
      ['a2enconf', '-q', 'webapp-backend'],
      ['a2ensite', '-q', 'webapp'],
      ['/usr/local/sbin/webapp-configure-workers'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', 'apache2.service'],
      ['/usr/local/sbin/webapp-install-release'],
    ]);
  });

  test('names the release and the runtime, their versions and their checksums for the install script', () => {
    expect(fileAt('/etc/webapp/release.env')).toBe(
      [
        'AWS_REGION=eu-west-1',
        'RELEASE_BUCKET=webapp-dev-artifacts-123',
        'RELEASE_KEY=releases/service.zip',
        'RELEASE_VERSION_ID=v1',
        'RELEASE_ID=0123456789abcdef',
        `RELEASE_SHA256=${'a'.repeat(64)}`,
        'RUNTIME_KEY=runtimes/node-linux-x64.tgz',
        'RUNTIME_VERSION_ID=v7',
        `RUNTIME_SHA256=${'b'.repeat(64)}`,
        'NODE_VERSION=24.21.0',
        'PORT_BASE_A=3000',
        'PORT_BASE_B=3200',
        'MAX_WORKERS=128',
        'APACHE_MEMBERS=/etc/webapp/apache-members.conf',
        'WORKER_UNIT_PREFIX=webapp-',
        'MEMBER_TEMPLATE=/etc/webapp/apache-member.conf.in',
        'UNIT_TEMPLATE=/etc/webapp/webapp.service.in',
        'DROPIN_TEMPLATE=/etc/webapp/worker.conf.in',
        'DROPIN_EXTRAS_DIR=/etc/webapp/worker.conf.d',
        'WORKERS_FILE=/etc/webapp/workers.env',
        'APACHE_PORT=80',
        'BALANCER_MANAGER_URL=http://127.0.0.1:81/balancer-manager',
        'BALANCER_MANAGER_AUTH_FILE=/etc/webapp/balancer-manager.secret',
        'BALANCER_MANAGER_USERS_FILE=/etc/webapp/balancer-manager.htpasswd',
        'HEALTH_PATH=/health',
        'VERSION_PATH=/version',
        'WEBAPP_ROOT=/opt/webapp',
        'IMDS_ENDPOINT=http://169.254.169.254',
        'INSTANCE_ENV=/etc/webapp/instance.env',
        '',
      ].join('\n'),
    );
  });

  test('orders the keep-alive chain: load balancer < Apache, Apache backend ttl < Node', () => {
    const backend = fileAt('/etc/apache2/conf-available/webapp-backend.conf');
    expect(backend).toContain('Define WEBAPP_KEEPALIVE_TIMEOUT 65');
    expect(BACKEND_CONNECTION_TTL_SECONDS).toBeLessThan(SERVICE_KEEP_ALIVE_TIMEOUT_MS / 1000);
    expect(backend).toContain('Define WEBAPP_MEMBERS /etc/webapp/apache-members.conf\n');
    expect(fileAt('/etc/apache2/sites-available/webapp.conf')).toContain('        Include ${WEBAPP_MEMBERS}\n');
    // One member per worker, written at boot by webapp-configure-workers from this line.
    expect(fileAt('/etc/webapp/apache-member.conf.in')).toBe(
      'BalancerMember "http://127.0.0.1:@PORT@" ttl=60 retry=1 connectiontimeout=2 timeout=30 hcmethod=GET hcuri=/health hcinterval=1 hcfails=1 hcpasses=1\n',
    );
    expect(fileAt('/etc/webapp/service.env')).toContain(`KEEP_ALIVE_TIMEOUT_MS=${SERVICE_KEEP_ALIVE_TIMEOUT_MS}`);
    expect(backend).toContain('Define WEBAPP_TRUSTED_PROXY_CIDRS "10.10.0.0/20 10.10.16.0/20"');
  });

  test('listens for the balancer manager on the loopback address only, and guards it three ways', () => {
    expect(fileAt('/etc/apache2/ports.conf')).toBe('Listen 80\nListen 127.0.0.1:81\n');
    const site = fileAt('/etc/apache2/sites-available/webapp.conf');
    expect(site).toContain('<VirtualHost *:${WEBAPP_APACHE_PORT} 127.0.0.1:${WEBAPP_MANAGER_PORT}>');
    const manager = /<Location \/balancer-manager>([\s\S]*?)<\/Location>/.exec(site)![1];
    expect(manager).toContain('SetHandler balancer-manager');
    expect(manager).toMatch(/<RequireAll>\s*Require local\s*Require expr "%\{SERVER_PORT\} == '\$\{WEBAPP_MANAGER_PORT\}'"\s*Require valid-user\s*<\/RequireAll>/);
    expect(site).toContain('ProxyPass /balancer-manager !');
    expect(() => renderProvisioningFiles({ ...SAMPLE_INPUT, balancerManagerPort: 80 })).toThrow('balancerManagerPort must be a port (1-65535) other than apachePort 80: got 80');
  });

  test("names the service's HTTP platform: Express unless the environment chooses Fastify", () => {
    expect(fileAt('/etc/webapp/service.env').split('\n')).toContain('HTTP_PLATFORM=express');
    const fastify = renderProvisioningFiles({ ...SAMPLE_INPUT, httpPlatform: 'fastify' }).find((entry) => entry.path === '/etc/webapp/service.env')!.content;
    expect(fastify.split('\n')).toContain('HTTP_PLATFORM=fastify');
  });

  test('gives systemd a stop timeout above the service drain bound, and a memory limit', () => {
    expect(fileAt('/etc/webapp/worker.conf.in')).toBe('[Service]\nEnvironment=PORT=@PORT@\nTimeoutStopSec=17\nMemoryMax=512M\n');
    expect(fileAt('/etc/webapp/service.env')).toContain('SHUTDOWN_TIMEOUT_MS=10000');
  });

  test('hardens the unit', () => {
    const unit = fileAt('/etc/webapp/webapp.service.in');
    for (const line of ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'Restart=on-failure', 'EnvironmentFile=/etc/webapp/service.env']) {
      expect(unit.split('\n')).toContain(line);
    }
    // The release's own runtime (current/node, linked by the install script), not a system Node.js.
    expect(unit).toContain('ExecStart=/opt/webapp/current/node /opt/webapp/current/server.mjs');
  });

  test('completes the sandbox for a Node service, and lets the worker reach nothing but loopback', () => {
    const lines = fileAt('/etc/webapp/webapp.service.in').split('\n');
    for (const line of [
      'ProtectKernelLogs=yes',
      'ProtectClock=yes',
      'ProtectHostname=yes',
      'ProtectProc=invisible',
      'ProcSubset=pid',
      'RestrictRealtime=yes',
      'SystemCallArchitectures=native',
      'SystemCallFilter=@system-service',
      'UMask=0077',
      'IPAddressDeny=any',
      'IPAddressAllow=localhost',
    ]) {
      expect(lines).toContain(line);
    }
    // V8's JIT writes the code it runs.
    expect(lines.filter((line) => line.startsWith('MemoryDenyWriteExecute'))).toEqual([]);
    // The instance's identity comes from the file the install script writes; the workers never ask the metadata service.
    expect(lines).toContain('EnvironmentFile=-/etc/webapp/instance.env');
    expect(fileAt('/etc/webapp/service.env').split('\n')).toContain('IMDS_ENABLED=false');
  });

  test('stays well under the 16 KB user data limit, as the launch template sends it (gzipped)', () => {
    // EC2 counts the raw bytes before base64, and Terraform's base64gzip sends the gzip: the text
    // itself may be larger. (bench/sizes.ts prints the figures.)
    expect(gzipSync(userData).length).toBeLessThan(16_384 / 2);
  });

  test.each([
    ['overlapping port sets', { portBases: { a: 3000, b: 3100 } }, 'portBases must be at least 128 apart, with room for 128 ports each between 1024 and 65535: got {"a":3000,"b":3100}'],
    ['privileged ports', { portBases: { a: 80, b: 3000 } }, 'portBases must be at least 128 apart, with room for 128 ports each between 1024 and 65535: got {"a":80,"b":3000}'],
    ['no workers', { workers: 0 }, 'workers must be a whole number from 1 to 128: got 0'],
  ])('refuses %s', (_case, override, message) => {
    expect(() => renderUserData({ ...SAMPLE_INPUT, ...override })).toThrow(message);
  });

  test('matches the snapshot', () => {
    expect(userData).toMatchSnapshot();
  });
});

describe('the names the plain files share with render-user-data.ts', () => {
  const FILES = join(import.meta.dirname, '..', '..', 'provisioning', 'files');

  test('are defined once: no file names an instance path or a worker unit itself, outside its comments', () => {
    const literal = /\/etc\/webapp|\/opt\/webapp|webapp-\$/;
    const offending = readdirSync(FILES).flatMap((name) =>
      readFileSync(join(FILES, name), 'utf8')
        .split('\n')
        .map((line, index) => ({ where: `${name}:${index + 1}`, line }))
        .filter(({ line }) => !/^\s*#/.test(line) && literal.test(line)),
    );
    expect(offending).toEqual([]);
  });

  test('are filled in as the files are rendered, and the settings file names the rest', () => {
    const files = renderProvisioningFiles(SAMPLE_INPUT);
    const unit = files.find((file) => file.path === '/etc/webapp/webapp.service.in')!.content;
    expect(unit).toContain(`EnvironmentFile=${FILE_PLACEHOLDERS.SERVICE_SETTINGS_FILE}\n`);
    expect(unit).toContain(`ExecStart=${FILE_PLACEHOLDERS.WEBAPP_ROOT}/current/node ${FILE_PLACEHOLDERS.WEBAPP_ROOT}/current/server.mjs\n`);
    expect(files.map((file) => file.content).join('\n').match(/@[A-Z_]+@/g)?.filter((placeholder) => placeholder !== '@PORT@') ?? []).toEqual([]);
  });
});
