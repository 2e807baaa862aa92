// webapp-lifecycle (provisioning/files/lifecycle-hook.py) run here with python3: the metadata
// service and the site on loopback, and the AWS CLI replaced by a script that records its arguments
// and answers as the CLI does. The boot test runs it for real under systemd with the real CLI.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';

const SCRIPT = join(import.meta.dirname, '..', '..', 'provisioning', 'files', 'lifecycle-hook.py');
const NOTHING_WAITS = 'An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0123';

let server: Server;
let port: number;
let targetState = 'InService';
let healthStatus = 200;
let dir: string;
let agent: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const answers: Record<string, [number, string]> = {
      'PUT /latest/api/token': [200, 'token'],
      'GET /latest/meta-data/instance-id': [200, 'i-0123'],
      // Outside an auto scaling group the metadata service has no such path: 404.
      'GET /latest/meta-data/autoscaling/target-lifecycle-state': targetState ? [200, targetState] : [404, ''],
      'GET /health': [healthStatus, 'ok'],
    };
    const [status, body] = answers[`${req.method} ${req.url}`] ?? [404, ''];
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
});
afterEach(() => {
  agent?.kill('SIGKILL');
});

/** Starts the agent; the fake CLI exits with `cliExit` and prints `cliError` on stderr. */
function startAgent(cliExit = 0, cliError = '') {
  dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
  writeFileSync(
    join(dir, 'release.env'),
    `AWS_REGION=eu-west-1\nAUTO_SCALING_GROUP=webapp-dev\nLIFECYCLE_HOOK=webapp-launch\nAPACHE_PORT=${port}\nHEALTH_PATH=/health\nIMDS_ENDPOINT=http://127.0.0.1:${port}\n`,
  );
  writeFileSync(join(dir, 'aws'), `#!/bin/sh\necho "$*" >> "${join(dir, 'calls')}"\n[ -n '${cliError}' ] && echo '${cliError}' >&2\nexit ${cliExit}\n`);
  chmodSync(join(dir, 'aws'), 0o755);
  writeFileSync(join(dir, 'calls'), '');
  output = '';
  // The instance's interpreter (the script's shebang), not a version manager's shim, which would put its own `aws` first.
  agent = spawn('/usr/bin/python3', [SCRIPT], {
    env: {
      ...process.env,
      PATH: `${dir}:${process.env.PATH}`,
      WEBAPP_RELEASE_ENV: join(dir, 'release.env'),
      HEALTH_TIMEOUT_SECONDS: '1',
      LIFECYCLE_POLL_SECONDS: '0.1',
      LIFECYCLE_ATTEMPTS: '2',
      LIFECYCLE_FIRST_DELAY_SECONDS: '0.1',
    },
  });
  agent.stdout!.on('data', (chunk) => (output += chunk));
  agent.stderr!.on('data', (chunk) => (output += chunk));
}

const calls = () => readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean);
async function until(condition: () => boolean, what: string) {
  for (const deadline = Date.now() + 10_000; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent said:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));
const call = (result: string) =>
  `autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name webapp-dev --lifecycle-hook-name webapp-launch --instance-id i-0123 --lifecycle-action-result ${result}`;

describe('webapp-lifecycle', () => {
  test('completes the hook once with CONTINUE when the site answers, and not again while the state stays', async () => {
    targetState = 'InService';
    healthStatus = 200;
    startAgent();
    await until(() => calls().length >= 1, 'a call');
    await settle();
    expect(calls()).toEqual([call('CONTINUE')]);
    expect(output).toContain('webapp-lifecycle: completed the launch hook for InService with CONTINUE');
  }, 20_000);

  test('completes it again for each new target state: into the warm pool, then into service', async () => {
    targetState = 'Warmed:Stopped';
    healthStatus = 200;
    startAgent();
    await until(() => calls().length >= 1, 'the first call');
    targetState = 'InService';
    await until(() => calls().length >= 2, 'the second call');
    await settle();
    expect(calls()).toEqual([call('CONTINUE'), call('CONTINUE')]);
  }, 20_000);

  test('abandons the launch when the site does not answer in time, so the group replaces the instance', async () => {
    targetState = 'InService';
    healthStatus = 503;
    startAgent();
    await until(() => calls().length >= 1, 'a call');
    expect(calls()).toEqual([call('ABANDON')]);
    expect(output).toContain('the site does not answer; completing the launch hook with ABANDON');
  }, 20_000);

  test('says once, not every poll, that the metadata service has no target state, and completes once it has', async () => {
    targetState = '';
    healthStatus = 200;
    startAgent();
    await settle();
    expect(calls()).toEqual([]);
    expect(output.match(/does not say the target lifecycle state/g)).toHaveLength(1);
    targetState = 'InService';
    await until(() => calls().length >= 1, 'a call');
    expect(calls()).toEqual([call('CONTINUE')]);
  }, 20_000);

  test('does nothing while the instance is sent nowhere it completes a hook for (Pending)', async () => {
    targetState = 'Pending';
    healthStatus = 200;
    startAgent();
    await settle();
    expect(calls()).toEqual([]);
  }, 20_000);

  test('takes "no active lifecycle action" as done (a reboot, a hook already completed): one call, no retries', async () => {
    targetState = 'InService';
    healthStatus = 200;
    startAgent(254, NOTHING_WAITS);
    await until(() => output.includes('no lifecycle action waits'), 'the agent to say so');
    await settle();
    expect(calls()).toEqual([call('CONTINUE')]);
  }, 20_000);

  test('retries a refused call with backoff, then says FAILED and leaves it to the heartbeat', async () => {
    targetState = 'InService';
    healthStatus = 200;
    startAgent(254, 'An error occurred (AccessDenied) when calling the CompleteLifecycleAction operation: not authorized');
    await until(() => output.includes('FAILED'), 'the FAILED line');
    await settle();
    expect(calls()).toEqual([call('CONTINUE'), call('CONTINUE')]);
    expect(output).toContain("webapp-lifecycle: FAILED: could not complete the lifecycle action; the hook's heartbeat decides");
  }, 20_000);
});
