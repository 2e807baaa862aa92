// Synth entry point: parse the configuration, create the stacks, synthesize. Nothing else.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { loadConfig } from './config/load-config.js';
import { ConfigError } from './common/config-error.js';
import { instanceArchitecture } from './common/instance-architecture.js';
import { type BuiltRuntime, checkedRuntime } from './release/node-runtime.js';
import { NODE_RUNTIME, RELEASE_MANIFEST_FILE } from './constants.js';
import { releaseManifestSchema } from './service/version/release-manifest.js';
import { type BootstrapMode, StateBackendStack } from './stacks/state-backend-stack.js';
import { readEmulatorEndpoint } from './stacks/local-emulator.js';
import { type BuiltRelease, WebAppStack } from './stacks/web-app-stack.js';

const root = import.meta.dirname;

/** STATE_BACKEND_BOOTSTRAP, set only by scripts/stack.sh's bootstrap. */
function readBootstrapMode(value: string | undefined): BootstrapMode {
  if (!value) return 'managed';
  if (value === 'create' || value === 'adopt') return value;
  throw new ConfigError(`STATE_BACKEND_BOOTSTRAP = ${JSON.stringify(value)}: must be create or adopt (scripts/stack.sh sets it), or unset`);
}

function readBuiltRelease(releaseDir: string): BuiltRelease {
  const manifestPath = join(releaseDir, RELEASE_MANIFEST_FILE);
  const archivePath = `${releaseDir}.zip`;
  if (!existsSync(manifestPath) || !existsSync(archivePath)) {
    throw new ConfigError(`no built release at ${releaseDir}(.zip); run \`npm run build:service\` first`);
  }
  const manifest = releaseManifestSchema.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  return { archivePath, releaseId: manifest.releaseId, minimumNodeVersion: manifest.minimumNodeVersion };
}

/** The runtime tarball of `architecture` as `npm run build:runtime` checked it against the pinned sha512 (unchanged since). */
function readBuiltRuntime(architecture: BuiltRuntime['architecture']): BuiltRuntime {
  const runtime = checkedRuntime(root, architecture);
  if (!runtime) {
    throw new ConfigError(`no checked Node.js ${NODE_RUNTIME.version} runtime for ${architecture} in dist/runtime/ (missing, or changed since it was checked); run \`npm run build:runtime\``);
  }
  return runtime;
}

try {
  const config = loadConfig(join(root, 'config'), process.env.ENV || undefined);
  const emulator = readEmulatorEndpoint(process.env.LOCAL_AWS_ENDPOINT);
  const release = readBuiltRelease(join(root, 'dist', 'release'));
  const app = new App();
  new StateBackendStack(app, 'state-backend', { project: config.project, mode: readBootstrapMode(process.env.STATE_BACKEND_BOOTSTRAP), emulator });
  for (const environment of config.environments) {
    // The fleet's construct refuses an instance type whose architecture it cannot tell; x86_64 stands in until it does.
    const runtime = readBuiltRuntime(instanceArchitecture(environment.settings.fleet.instanceType) ?? 'x86_64');
    new WebAppStack(app, `webapp-${environment.name}`, { project: config.project, environment, release, runtime, emulator });
  }
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
