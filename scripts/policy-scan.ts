// Policy scan: checkov (from the project's .venv) on every synthesized stack's cdk.tf.json, with the
// reasoned skip list in policy/checkov-skips.yaml, and on the users' workflow (github_actions, no skips;
// WORKFLOW_FILE names another file). Prints a table per stack; exits 1 when a check
// fails that no skip covers, or when a skip matches no failure (a stale skip).
// Usage: tsx scripts/policy-scan.ts [cdktf.out/stacks]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadSkips, scanStack, type StackScan } from '../policy/scan.js';

const root = join(import.meta.dirname, '..');
const stacksDir = process.argv[2] ?? join(root, 'cdktf.out', 'stacks');
const checkov = join(root, '.venv', 'bin', 'checkov');
if (!existsSync(checkov)) {
  process.stderr.write(`checkov is not installed at ${checkov}; run scripts/setup-venv.sh (make venv)\n`);
  process.exit(2);
}
const stacks = existsSync(stacksDir) ? readdirSync(stacksDir).sort() : [];
if (stacks.length === 0) {
  process.stderr.write(`no synthesized stacks in ${stacksDir}; run make synth first\n`);
  process.exit(2);
}
const skips = loadSkips(readFileSync(join(root, 'policy', 'checkov-skips.yaml'), 'utf8'), stacks);

/**
 * checkov 3.3.30's terraform_json parser reads nothing from a file whose `terraform` block has
 * `required_version` (it answers an empty list), so it scans a copy without that one line.
 */
function scannableCopy(stack: string): string {
  const synthesized = JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8'));
  delete synthesized.terraform?.required_version;
  const copy = join(mkdtempSync(join(tmpdir(), `scan-${stack}-`)), 'cdk.tf.json');
  writeFileSync(copy, JSON.stringify(synthesized));
  return copy;
}

const scans: StackScan[] = stacks.map((stack) => {
  const run = spawnSync(checkov, ['-f', scannableCopy(stack), '--framework', 'terraform_json', '-o', 'json', '--compact'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // checkov exits 1 when a check fails; anything else without JSON is a broken scanner.
  let report: unknown;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`checkov did not report on ${stack} (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  }
  return scanStack(stack, report, skips);
});

/**
 * The users' workflow, by checkov's github_actions framework (no skips). checkov 3.3.30 validates a
 * workflow against its bundled schema first and skips it without a word when that fails, and its
 * schema rejects an expression in `cancel-in-progress` (the value matches two branches of a oneOf):
 * so the scan reads a copy with a literal there, and a scan that checked nothing fails.
 */
function scanWorkflow(path: string): StackScan {
  const dir = mkdtempSync(join(tmpdir(), 'scan-workflow-'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(dir, '.github', 'workflows', basename(path)), readFileSync(path, 'utf8').replace(/^(\s*cancel-in-progress:) \$\{\{.*\}\}$/m, '$1 true'));
  const run = spawnSync(checkov, ['-d', dir, '--framework', 'github_actions', '-o', 'json', '--compact'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let report: { summary?: { passed: number; failed: number } };
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`checkov did not report on ${path} (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  }
  if (!report.summary || report.summary.passed + report.summary.failed === 0) throw new Error(`checkov checked nothing in ${path}: its workflow schema refused the file`);
  return scanStack(`workflow ${basename(path)}`, report, skips);
}
scans.push(scanWorkflow(process.env.WORKFLOW_FILE ?? join(root, '.github', 'workflows', 'ci.yml')));

const lines = ['| stack | passed | failed | skipped (with reason) |', '| --- | --- | --- | --- |'];
for (const scan of scans) lines.push(`| ${scan.stack} | ${scan.passed} | ${scan.failures.length} | ${scan.skipped.length} |`);
for (const scan of scans) for (const failure of scan.failures) lines.push(`FAILED ${scan.stack}: ${failure.check} ${failure.resource}: ${failure.name}`);
const stale = skips.filter((skip) => !scans.some((scan) => scan.skipped.some((skipped) => skipped.check === skip.check)));
for (const skip of stale) lines.push(`STALE SKIP ${skip.check} (${skip.stacks.join(', ')}): no stack fails it any more; remove it from policy/checkov-skips.yaml`);
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(join(stacksDir, '..', 'policy-scan.json'), `${JSON.stringify({ scans, stale }, null, 2)}\n`);
process.exit(scans.some((scan) => scan.failures.length > 0) || stale.length > 0 ? 1 : 0);
