import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { collectStatus, fetchServedVersion, type GroupView, releaseIdOfUserData, renderStatus, type StatusApi } from '../../operations/status.js';
import { renderUserData } from '../../provisioning/render-user-data.js';
import { SAMPLE_INPUT } from '../provisioning/sample-input.js';

const GROUP: GroupView = {
  name: 'webapp-dev',
  minSize: 1,
  maxSize: 3,
  desiredCapacity: 2,
  launchTemplateId: 'lt-0abc',
  templateVersion: 4,
  instances: [
    { instanceId: 'i-0aaa', availabilityZone: 'eu-west-1a', lifecycleState: 'InService', healthStatus: 'Healthy', templateVersion: 4 },
    { instanceId: 'i-0bbb', availabilityZone: 'eu-west-1b', lifecycleState: 'Pending:Wait', healthStatus: 'Healthy', templateVersion: 5 },
  ],
  warmInstances: [],
  targetGroupArns: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/webapp-dev/1'],
};

/** Every call answers; `failing` names the calls that throw instead. */
function fakeApi(failing: ReadonlySet<keyof StatusApi> = new Set()): StatusApi {
  const answer =
    <T>(name: keyof StatusApi, value: T) =>
    async () => {
      if (failing.has(name)) throw new Error(`${name} refused: AccessDenied`);
      return value;
    };
  return {
    group: answer('group', GROUP),
    templateReleases: answer('templateReleases', { defaultVersion: 5, releaseByVersion: new Map([[4, '4444444444444444'], [5, '5555555555555555']]) }),
    targetHealth: answer('targetHealth', new Map([['i-0aaa', 'healthy'], ['i-0bbb', 'initial (Elb.RegistrationInProgress)']])),
    scalingActivities: answer('scalingActivities', [{ startTime: new Date('2026-11-28T02:40:11Z'), statusCode: 'Successful', description: 'Launching a new EC2 instance: i-0bbb' }]),
    alarms: answer('alarms', { total: 6, firing: [{ name: 'webapp-dev-target-5xx', reason: 'Threshold Crossed: 1 datapoint [7.0] was greater than 5.0', since: new Date('2026-11-28T02:41:00Z') }] }),
    siteUrl: answer('siteUrl', 'http://webapp-dev-1.eu-west-1.elb.amazonaws.com'),
    servedVersion: answer('servedVersion', { releaseId: '4444444444444444', instanceId: 'i-0aaa' }),
  };
}

const OPTIONS = { environment: 'webapp-dev', groupName: 'webapp-dev', alarmPrefix: 'webapp-dev-', where: 'eu-west-1' };

describe('releaseIdOfUserData', () => {
  test('reads the release id from user data as the fleet writes it (rendered, gzipped, base64)', () => {
    const userData = gzipSync(renderUserData(SAMPLE_INPUT)).toString('base64');
    expect(releaseIdOfUserData(userData)).toBe(SAMPLE_INPUT.releaseId);
  });

  test('reads plain base64 too, and says nothing when the user data names no release', () => {
    expect(releaseIdOfUserData(Buffer.from('x=1\nRELEASE_ID=00000000deadbeef\n').toString('base64'))).toBe('00000000deadbeef');
    expect([releaseIdOfUserData(Buffer.from('#cloud-config\n').toString('base64')), releaseIdOfUserData(undefined)]).toEqual([undefined, undefined]);
  });
});

describe('the status screen', () => {
  test('shows the release shipped, the one the group launches and the one serving, capacity, each instance, activities and firing alarms', async () => {
    const screen = renderStatus(await collectStatus(fakeApi(), OPTIONS));
    expect(screen.split('\n')).toEqual([
      'webapp-dev (eu-west-1)',
      '',
      'Release',
      '  the stack ships     5555555555555555  (launch template version 5, the default)',
      '  the group launches  4444444444444444  (launch template version 4; not the default: a release step is under way or was rolled back)',
      '  /version answers    4444444444444444  (i-0aaa, through http://webapp-dev-1.eu-west-1.elb.amazonaws.com)',
      '',
      'Capacity: desired 2 (min 1, max 3); 1 in service, 1 pending',
      'Instances',
      '  i-0aaa  eu-west-1a  InService     Healthy  target healthy                               version 4  release 4444444444444444',
      '  i-0bbb  eu-west-1b  Pending:Wait  Healthy  target initial (Elb.RegistrationInProgress)  version 5  release 5555555555555555',
      '',
      'Last scaling activities',
      '  2026-11-28 02:40:11Z  Successful  Launching a new EC2 instance: i-0bbb',
      '',
      'Alarms: 1 in ALARM (of 6)',
      '  webapp-dev-target-5xx since 2026-11-28 02:41:00Z: Threshold Crossed: 1 datapoint [7.0] was greater than 5.0',
      '',
    ]);
  });

  test('a section that cannot be read says why, and every other section still shows', async () => {
    const report = await collectStatus(fakeApi(new Set(['alarms', 'targetHealth', 'servedVersion'])), OPTIONS);
    const screen = renderStatus(report);
    expect(screen).toContain('Alarms: cannot be read: alarms refused: AccessDenied');
    expect(screen).toContain('  (target health cannot be read: targetHealth refused: AccessDenied)');
    expect(screen).toContain('  /version answers    not reachable: http://webapp-dev-1.eu-west-1.elb.amazonaws.com/version: servedVersion refused: AccessDenied');
    expect(screen).toContain('  i-0aaa  eu-west-1a  InService     Healthy  target unknown  version 4  release 4444444444444444');
    expect(screen).toContain('Launching a new EC2 instance: i-0bbb');
  });

  test('without the group, the screen says so and what follows from it, and the report marks the group unreadable', async () => {
    const report = await collectStatus(fakeApi(new Set(['group'])), OPTIONS);
    expect(report.group.ok).toBe(false);
    const screen = renderStatus(report);
    expect(screen).toContain('Group: cannot be read: group refused: AccessDenied');
    expect(screen).toContain('  releases: cannot be read: no group to read it from');
  });
});

describe('fetchServedVersion', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/ok/version') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ releaseId: 'abcdefabcdefabcd', instanceId: 'i-0123' }));
      else if (request.url === '/draining/version') response.writeHead(503).end('draining');
      else if (request.url === '/html/version') response.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      // /silent/version never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  test('returns the release id and instance that answered', async () => {
    await expect(fetchServedVersion(`${base}/ok`)).resolves.toEqual({ releaseId: 'abcdefabcdefabcd', instanceId: 'i-0123' });
  });

  test.each([
    ['a status other than 200', '/draining', 'HTTP 503'],
    ['an answer without a release id', '/html', 'the answer carries no releaseId'],
    ['no answer in time', '/silent', 'no answer within 200 ms'],
  ])('refuses %s, saying what came back', async (_, path, message) => {
    await expect(fetchServedVersion(`${base}${path}`, 200)).rejects.toThrow(message);
  });

  test('a site nobody listens on gives the connection error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchServedVersion(`http://127.0.0.1:${port}`, 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
