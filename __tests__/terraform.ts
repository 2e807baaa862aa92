import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(import.meta.dirname, '..');
export const PROVIDER_MIRROR = '/opt/tf-plugins/registry.terraform.io/hashicorp/aws/5.100.0';

/** Environment for the real Terraform: the project's CLI config (provider from the mirror), no telemetry. */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, TF_CLI_CONFIG_FILE: join(REPOSITORY_ROOT, 'terraform.tfrc'), CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', ...extra };
}

/** Fails loudly when a real component is missing: these tests never skip. */
export function requireTerraform(): void {
  const version = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('terraform is not on PATH; the real-component tests need Terraform 1.11 (see README, "Quick start")');
  const { terraform_version: terraformVersion } = JSON.parse(version.stdout) as { terraform_version: string };
  if (!/^1\.(1[1-9]|[2-9]\d)\./.test(terraformVersion)) throw new Error(`terraform ${terraformVersion} is too old: every stack requires 1.11 or later (S3 lock files are generally available from 1.11)`);
  if (!existsSync(PROVIDER_MIRROR)) throw new Error(`the AWS provider 5.100.0 mirror is missing at ${PROVIDER_MIRROR}`);
}

export function terraform(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('terraform', args, { cwd, env: terraformEnv(env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
