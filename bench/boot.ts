// Boot: the rendered user data run by cloud-init in a fresh Debian 13 root filesystem (as the boot
// test does, support/boot-machine.ts), from the first cloud-init stage to the first 200 on /health
// through Apache; then the release switch alone: the install script on a running machine, from its
// start to the new release serving through Apache, RUNS times (default 3), each with a new release,
// under steady traffic on /version (RATE requests per second, default 500: a busy instance, while
// the load generator leaves this 2-core machine some CPU; the boot test runs the switch under
// saturating load), which must lose nothing. Each phase's time comes from the install script's own
// log lines. The service's cold start is bench/cold-start.ts.
// Needs root (chroot) and the cached root filesystem (make rootfs). Usage: npm run bench:boot
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { prepareBootMachine } from '../support/boot-machine.js';
import { startLoad } from '../support/load.js';
import { variantRelease } from '../support/release-process.js';

const root = join(import.meta.dirname, '..');
const runs = Number(process.env.RUNS ?? 3);
const rate = Number(process.env.RATE ?? 500);
const GOALS = { boot: 60_000, releaseSwitch: 5_000 };

/** The install script's lines say `[+<ms>ms] <what>`: the time of each, by what it says. */
function phases(stderr: string): Array<{ what: string; atMs: number }> {
  return [...stderr.matchAll(/^webapp-install-release: \[\+(\d+)ms\] (.*)$/gm)].map((match) => ({ atMs: Number(match[1]), what: match[2] }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const boot = await prepareBootMachine();
const rows: string[] = [];
const switchPhases: Array<Array<{ what: string; atMs: number }>> = [];
try {
  const outcome = await boot.boot();
  const failed = outcome.stages.find((stage) => stage.status !== 0);
  if (failed) throw new Error(`cloud-init ${failed.stage} failed:\n${failed.stderr}`);
  if (outcome.provisioningToHealthyMs <= 0) throw new Error('the machine never answered 200 on /health through Apache');

  const toServing: number[] = [];
  const total: number[] = [];
  for (let run = 0; run < runs; run++) {
    const next = variantRelease(boot.releaseDir, `benchmark release ${run}`);
    const upload = await boot.uploadRelease(next.archivePath);
    const load = startLoad(boot.url('/version'), 4, 120, rate);
    const startedAt = performance.now();
    const install = await boot.installRelease(
      boot.releaseSettings({ RELEASE_KEY: upload.key, RELEASE_VERSION_ID: upload.versionId, RELEASE_SHA256: upload.sha256, RELEASE_ID: next.releaseId }),
    );
    total.push(performance.now() - startedAt);
    const traffic = await load.stop();
    if (install.status !== 0) throw new Error(`the install script failed:\n${install.stderr}`);
    if (traffic.failed > 0) throw new Error(`${traffic.failed} requests failed during the release switch: ${JSON.stringify(traffic.statuses)}`);
    const served = (await (await fetch(boot.url('/version'))).json()) as { releaseId: string };
    if (served.releaseId !== next.releaseId) throw new Error(`serving ${served.releaseId} after switching to ${next.releaseId}`);
    const switchPhase = phases(install.stderr);
    const serving = switchPhase.find((phase) => phase.what.includes('is serving through Apache'));
    if (!serving) throw new Error(`the install script never said the release was serving:\n${install.stderr}`);
    toServing.push(serving.atMs);
    switchPhases.push(switchPhase);
  }

  const status = (ms: number, goal: number) => (ms < goal ? 'met' : 'NOT met');
  rows.push(
    `| provisioning to first healthy response (cloud-init's 4 stages, packages from the Debian archive) | ${(outcome.provisioningToHealthyMs / 1000).toFixed(1)} s | < ${GOALS.boot / 1000} s | ${status(outcome.provisioningToHealthyMs, GOALS.boot)} |`,
    `| release switch: install script start (fetch included) to the new release serving every request through Apache (${rate} req/s on /version meanwhile, 0 failed; median of ${runs}) | ${(median(toServing) / 1000).toFixed(1)} s | < ${GOALS.releaseSwitch / 1000} s | ${status(median(toServing), GOALS.releaseSwitch)} |`,
    `| the whole install script, with the old workers drained and stopped after that | ${(median(total) / 1000).toFixed(1)} s | | |`,
  );
} finally {
  boot.destroy();
}

// Each phase of the switch, median over the runs, from the script's own timestamps.
const phaseNames = switchPhases[0].map((phase) => phase.what.replace(/[0-9a-f]{16}/g, '<id>').replace(/ports?( \d+)+/g, 'port(s) <n>').replace(/\(version [^)]*\)/, '(version <id>)'));
const phaseRows = phaseNames.map((name, index) => {
  const at = median(switchPhases.map((list) => list[index]?.atMs ?? Number.NaN));
  const previous = index === 0 ? 0 : median(switchPhases.map((list) => list[index - 1]?.atMs ?? Number.NaN));
  return `| ${name} | ${at} | ${at - previous} |`;
});
const table = [
  `Boot on this machine (${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}); the instance's Debian 13 in a chroot, S3 from moto.`,
  'Command: npm run bench:boot (the cold start of the service: npm run bench:cold-start)',
  '',
  '| what | time | goal | |',
  '| --- | ---: | ---: | --- |',
  ...rows,
  '',
  'The release switch, phase by phase (the install script\'s own timestamps, median):',
  '',
  '| phase ends with | at ms | took ms |',
  '| --- | ---: | ---: |',
  ...phaseRows,
].join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'boot.md'), `${table}\n`);
