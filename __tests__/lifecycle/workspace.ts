// A copy of the repository for the deploy lifecycle tests: they edit the service, as a user would
// before `make update_stack`, and synthesize into it, without touching the checkout under test.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { test } from '@jest/globals';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { changedAttributes, type PlanJson } from '../../review/plan-review.js';
import { FAKE_CREDENTIALS } from '../../support/moto.js';
import { REPOSITORY_ROOT } from '../terraform.js';

/** Build output, state and installed packages: not copied (packages are linked). */
const LEFT_OUT = new Set(['.git', 'node_modules', '.venv', 'dist', 'cdktf.out', 'cdktf.local.out', '.local', 'coverage', '.terraform']);

export interface Workspace {
  readonly root: string;
  /** Runs scripts/stack.sh as `make <target> LOCAL=1` does, against the given emulator. */
  stack(action: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }>;
  /** A synthesized stack's directory. */
  stackDir(name: string): string;
}

export function copyWorkspace(): Workspace {
  const root = join(mkdtempSync(join(tmpdir(), 'webapp-workspace-')), 'repo');
  cpSync(REPOSITORY_ROOT, root, { recursive: true, filter: (source) => source === REPOSITORY_ROOT || !LEFT_OUT.has(basename(source)) });
  symlinkSync(join(REPOSITORY_ROOT, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(REPOSITORY_ROOT, '.venv'), join(root, '.venv'));
  return {
    root,
    stackDir: (name) => join(root, 'cdktf.local.out', 'stacks', name),
    stack: (action, env) =>
      new Promise((resolve) => {
        const child = spawn(join(root, 'scripts', 'stack.sh'), [action], { cwd: root, env: { ...process.env, LOCAL: '1', CI: 'true', ...env } });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (status) => resolve({ status, output: output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') }));
      }),
  };
}

/** For a plan JSON: each resource that changes, with its action and changed top-level attributes. */
export function planChanges(plan: PlanJson): Record<string, { actions: string; attributes: string[] }> {
  return Object.fromEntries(
    (plan.resource_changes ?? [])
      .filter((resource) => !['no-op', 'read'].includes(resource.change.actions.join(',')))
      .map((resource) => [resource.address, { actions: resource.change.actions.join(','), attributes: changedAttributes(resource.change) }]),
  );
}

export const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** For expect(...).toEqual({ status: 0, tail: '' }): the end of the output only when the run failed. */
export const succeeded = (run: { status: number | null; output: string }) => ({ status: run.status, tail: run.status === 0 ? '' : run.output.slice(-3000) });

/** An AWS SDK client for the emulator at `endpoint`. */
export const emulatorClient = <T>(Client: new (config: object) => T, endpoint: string, region: string): T =>
  new Client({ endpoint, region, forcePathStyle: true, credentials: FAKE_CREDENTIALS });

/**
 * CloudWatch through its query protocol, as the AWS provider speaks it: the SDK's default for
 * CloudWatch is now AWS JSON 1.0, to which moto answers with a 404 page.
 */
export const emulatorCloudWatch = (endpoint: string, region: string) => new CloudWatchClient({ endpoint, region, credentials: FAKE_CREDENTIALS, protocol: AwsQueryProtocol });

/** The environment plain `terraform` needs for a stack synthesized in local mode. */
export const localModeEnv = (endpoint: string) => ({ LOCAL_AWS_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' });

/** A stack's address without cdktf's hash suffix: aws_lb.LoadBalancer_BE9EEC3A -> aws_lb.LoadBalancer. */
export const shortAddress = (address: string) => address.replace(/_[0-9A-F]{8}$/, '');

/**
 * The steps of one lifecycle, each a jest test run in order: once a step fails, every later step
 * fails at once, naming the step that failed, instead of waiting out its own timeout against an
 * environment that step never made.
 */
export function lifecycleSteps(): (name: string, run: () => unknown, timeoutMs?: number) => void {
  let failed: string | undefined;
  return (name, run, timeoutMs) =>
    test(
      name,
      async () => {
        if (failed !== undefined) throw new Error(`not run: the earlier step "${failed}" failed`);
        try {
          await run();
        } catch (error) {
          failed = name;
          throw error;
        }
      },
      timeoutMs,
    );
}
