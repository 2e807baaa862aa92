// The users' CI workflow cannot run here; these checks keep it valid and honest about credentials.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { NODE_RUNTIME } from '../../constants.js';

const root = join(import.meta.dirname, '..', '..');
const path = join(root, '.github', 'workflows', 'ci.yml');
const text = readFileSync(path, 'utf8');
const workflow = parse(text);
type Step = { uses?: string; run?: string; if?: string; with?: Record<string, string> };
const steps = (job: string): Step[] => workflow.jobs[job].steps;

describe('.github/workflows/ci.yml', () => {
  test('passes action-validator (the workflow JSON schema)', () => {
    const run = spawnSync(join(root, 'node_modules', '.bin', 'action-validator'), [path], { encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: '' });
  });

  test('tests everything on every push and pull request, with make test as CI here does', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'schedule']);
    expect(workflow.jobs.test.if).toBeUndefined();
    expect(steps('test').some((step) => step.run?.includes('make test'))).toBe(true);
  });

  test('plans and comments the review on pull requests, deploys only from main behind an environment', () => {
    expect(workflow.jobs.plan.if).toBe("github.event_name == 'pull_request'");
    expect(steps('plan').find((step) => step.uses?.startsWith('marocchino/sticky-pull-request-comment@'))?.with?.path).toBe('cdktf.out/stacks/webapp-${{ env.DEPLOY_ENV }}/plan.review.md');
    expect(workflow.jobs['deploy-plan'].if).toBe("(github.event_name == 'push' || github.event_name == 'schedule') && github.ref == 'refs/heads/main'");
    expect(workflow.jobs.deploy.needs).toBe('deploy-plan');
    expect(workflow.jobs.deploy.environment).toBe('production');
    expect(workflow.jobs['deploy-plan'].environment).toBeUndefined();
    expect(steps('deploy-plan').map((step) => step.run).filter(Boolean)).toEqual([
      '.github/provider-mirror.sh',
      'npm ci --no-audit --no-fund',
      'make plan ENV="$DEPLOY_ENV"',
      'cat "cdktf.out/stacks/webapp-$DEPLOY_ENV/plan.review.md" >>"$GITHUB_STEP_SUMMARY" || true',
    ]);
    expect(steps('deploy').map((step) => step.run).filter(Boolean)).toEqual([
      '.github/provider-mirror.sh',
      'npm ci --no-audit --no-fund',
      `make apply_plan ENV="$DEPLOY_ENV" STEP="\${{ github.event_name == 'schedule' && 'patch' || 'roll' }}"`,
    ]);
  });

  test('the deploy applies the plan file the approved plan job saved, with what it was made from, not a fresh plan', () => {
    const upload = steps('deploy-plan').find((step) => step.uses?.startsWith('actions/upload-artifact@'))!.with!;
    const download = steps('deploy').find((step) => step.uses?.startsWith('actions/download-artifact@'))!.with!;
    const stackDir = 'cdktf.out/stacks/webapp-${{ env.DEPLOY_ENV }}';
    expect(download).toEqual({ name: upload.name, path: stackDir });
    expect(upload.path.trim().split('\n').sort()).toEqual(['plan.tfplan', 'plan.txt', 'cdk.tf.json', '.terraform.lock.hcl', 'assets/'].map((file) => `${stackDir}/${file}`).sort());
    expect(upload).toMatchObject({ 'include-hidden-files': true, 'if-no-files-found': 'error' });
    // The apply comes after the download and never after a synth or plan of its own.
    const names = steps('deploy').map((step) => step.run ?? step.uses ?? '');
    expect(names.findIndex((name) => name.startsWith('make apply_plan'))).toBeGreaterThan(names.findIndex((name) => name.startsWith('actions/download-artifact@')));
    expect(names.filter((name) => /make (plan|create_stack|update_stack|patch|synth)\b|cdktf (deploy|synth)/.test(name))).toEqual([]);
  });

  test('patches the fleet weekly by replacing it (the patch policy), and rolls onto the release on pushes', () => {
    expect(workflow.on.schedule).toEqual([{ cron: '0 4 * * 2' }]);
    const apply = steps('deploy').find((step) => step.run?.startsWith('make apply_plan'))!;
    expect(apply.if).toBeUndefined();
    expect(apply.run).toContain("STEP=\"${{ github.event_name == 'schedule' && 'patch' || 'roll' }}\"");
  });

  test('gets AWS credentials only from OIDC roles, never stored keys, and the token only where it is used', () => {
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|secrets\./);
    for (const job of ['plan', 'deploy-plan', 'deploy']) {
      const credentials = steps(job).find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(credentials?.with?.['role-to-assume']).toBe(job === 'deploy' ? '${{ vars.AWS_DEPLOY_ROLE_ARN }}' : '${{ vars.AWS_PLAN_ROLE_ARN }}');
      expect(workflow.jobs[job].permissions['id-token']).toBe('write');
    }
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.test.permissions).toBeUndefined();
  });

  test('sets up the pinned Node.js in every job, the one package.json\'s engines and instances name', () => {
    const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(packageJson.engines.node).toBe(`>=${NODE_RUNTIME.version}`);
    expect(packageJson.optionalDependencies[NODE_RUNTIME.packages.x86_64.name]).toBe(NODE_RUNTIME.version);
    for (const job of Object.keys(workflow.jobs)) {
      const setup = steps(job).find((step) => step.uses?.startsWith('actions/setup-node@'));
      expect({ job, version: setup?.with?.['node-version'] }).toEqual({ job, version: NODE_RUNTIME.version });
    }
  });

  test('pins every action to a full commit SHA, with its tag in a comment (GitHub, "Security hardening for GitHub Actions")', () => {
    const uses = [...text.matchAll(/^\s*- uses: (\S+)(.*)$/gm)].map((match) => ({ action: match[1], comment: match[2].trim() }));
    expect(uses.length).toBeGreaterThan(10);
    expect(uses.filter(({ action, comment }) => !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(action) || !/^# v\d+\.\d+\.\d+$/.test(comment))).toEqual([]);
  });

  test('installs the packages, with their install scripts, before any job has AWS credentials', () => {
    for (const job of ['plan', 'deploy-plan', 'deploy']) {
      const names = steps(job).map((step) => step.run ?? step.uses ?? '');
      const install = names.findIndex((name) => name.startsWith('npm ci'));
      const credentials = names.findIndex((name) => name.startsWith('aws-actions/configure-aws-credentials@'));
      expect({ job, installedFirst: install >= 0 && install < credentials }).toEqual({ job, installedFirst: true });
    }
  });

  test('keeps no JSON plan (not redacted) as an artifact, and what it keeps for a day only', () => {
    for (const job of ['plan', 'deploy-plan']) {
      const upload = steps(job).find((step) => step.uses?.startsWith('actions/upload-artifact@'));
      expect({ job, path: upload?.with?.path }).not.toEqual({ job, path: expect.stringMatching(/plan\.json|\.review\.json/) });
      expect({ job, retention: upload?.with?.['retention-days'] }).toEqual({ job, retention: 1 });
    }
  });

  test("docs/deploying.md's trust policies accept GitHub's token only for STS and for exact subjects: the plan role pull requests and main, the deploy role the environment", () => {
    const readme = readFileSync(join(root, 'docs', 'deploying.md'), 'utf8');
    const policy = (name: string) => JSON.parse(new RegExp(`\`\`\`json ${name}\n([\\s\\S]*?)\n\`\`\``).exec(readme)?.[1] ?? 'null');
    for (const [name, subject] of <[string, string | string[]][]>[
      ['plan-role-trust-policy', ['repo:OWNER/REPO:pull_request', 'repo:OWNER/REPO:ref:refs/heads/main']],
      ['deploy-role-trust-policy', `repo:OWNER/REPO:environment:${workflow.jobs.deploy.environment}`],
    ]) {
      const [statement, ...others] = policy(name).Statement;
      expect(others).toEqual([]);
      expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: expect.stringMatching(/:oidc-provider\/token\.actions\.githubusercontent\.com$/) } });
      // StringEquals, not StringLike: no wildcard subject.
      expect(statement.Condition).toEqual({ StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': subject } });
    }
  });

  test('runs only make targets that exist', () => {
    const makefile = readFileSync(join(root, 'Makefile'), 'utf8');
    const targets = new Set([...makefile.matchAll(/^([a-z_-]+):/gm)].map((match) => match[1]));
    const used = [...text.matchAll(/\bmake ([a-z_-]+)/g)].map((match) => match[1]);
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((target) => !targets.has(target))).toEqual([]);
  });
});
