import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../constructs/config-error.js';
import { type EnvironmentSettings, environmentSchema, type ProjectSettings, projectSchema } from './schema.js';

export interface EnvironmentConfig {
  /** File name without `.json`: `dev`, `prod`; the stack is `webapp-<name>`. */
  readonly name: string;
  readonly settings: EnvironmentSettings;
}

/** Everything synth needs, validated once. */
export interface AppConfig {
  readonly project: ProjectSettings;
  readonly environments: readonly EnvironmentConfig[];
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{1,9}$/;

/**
 * Reads `<dir>/project.json` and `<dir>/environments/*.json`. `onlyEnvironment` (the ENV variable)
 * keeps one environment. Every problem found is reported at once, each naming file, field, value and rule.
 */
export function loadConfig(dir: string, onlyEnvironment?: string): AppConfig {
  const problems: string[] = [];
  // Paths in messages as the user knows them: config/environments/dev.json.
  const display = (path: string) => join(basename(dir), relative(dir, path));
  const project = parseFile(join(dir, 'project.json'), projectSchema, problems, display);

  const environmentsDir = join(dir, 'environments');
  const available = existsSync(environmentsDir)
    ? readdirSync(environmentsDir).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length)).sort()
    : [];
  for (const name of available.filter((name) => !ENVIRONMENT_NAME.test(name))) {
    problems.push(`${display(join(environmentsDir, `${name}.json`))}: environment name "${name}" must be 2-10 lower-case letters and digits, starting with a letter`);
  }
  if (onlyEnvironment !== undefined && !available.includes(onlyEnvironment)) {
    problems.push(`ENV = ${JSON.stringify(onlyEnvironment)}: unknown environment; expected one of ${available.join(', ') || '(none: add config/environments/<name>.json)'}`);
  }
  const selected = available.filter((name) => onlyEnvironment === undefined || name === onlyEnvironment);
  const environments = selected.map((name) => ({ name, settings: parseFile(join(environmentsDir, `${name}.json`), environmentSchema, problems, display) }));

  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return { project: project!, environments: environments as EnvironmentConfig[] };
}

function parseFile<T extends z.ZodType>(path: string, schema: T, problems: string[], display: (path: string) => string): z.infer<T> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${display(path)}: ${(error as Error).message}`);
    return undefined;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const field = issue.path.join('.');
    const received = valueAt(raw, issue.path);
    problems.push(`${display(path)}: ${field || '(file)'} = ${received === undefined ? '(missing)' : JSON.stringify(received)}: ${describe(issue)}`);
  }
  return undefined;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) return `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`;
  return issue.message;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), raw);
}
