// Every stack the rules are checked on: the repository's dev and prod, a maximal configuration with
// every option on (in a region opened after August 2022), an existing network, and the state backend.
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { loadConfig } from '../../config/load-config.js';
import { StateBackendStack } from '../../stacks/state-backend-stack.js';
import { WebAppStack } from '../../stacks/web-app-stack.js';
import { fixtureArtifacts, type Json } from '../synth.js';

const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..');
const CONFIG_DIRS = { repository: join(REPOSITORY_ROOT, 'config'), maximal: join(REPOSITORY_ROOT, '__tests__', 'fixtures', 'config-maximal') };

export interface SynthesizedStack {
  /** `repository/webapp-dev`, `maximal/webapp-everything`, `maximal/state-backend`. */
  readonly label: string;
  readonly json: Json;
}

function synthesizeAll(): SynthesizedStack[] {
  const stacks: SynthesizedStack[] = [];
  for (const [source, dir] of Object.entries(CONFIG_DIRS)) {
    const config = loadConfig(dir);
    const backend = new StateBackendStack(Testing.app(), 'state-backend', { project: config.project });
    stacks.push({ label: `${source}/state-backend`, json: JSON.parse(Testing.synth(backend)) });
    for (const environment of config.environments) {
      const stack = new WebAppStack(Testing.app(), `webapp-${environment.name}`, { project: config.project, environment, ...fixtureArtifacts(environment) });
      stacks.push({ label: `${source}/webapp-${environment.name}`, json: JSON.parse(Testing.synth(stack)) });
    }
  }
  return stacks;
}

export const ALL_STACKS = synthesizeAll();
/** The web app stacks only, as `test.each` rows: [label, json]. */
export const WEB_APP_STACKS: Array<[string, Json]> = ALL_STACKS.filter((stack) => stack.label.includes('/webapp-')).map((stack) => [stack.label, stack.json]);
export const EVERY_STACK: Array<[string, Json]> = ALL_STACKS.map((stack) => [stack.label, stack.json]);

export function stack(label: string): Json {
  const found = ALL_STACKS.find((candidate) => candidate.label === label);
  if (!found) throw new Error(`no synthesized stack ${label}; have ${ALL_STACKS.map((candidate) => candidate.label).join(', ')}`);
  return found.json;
}
