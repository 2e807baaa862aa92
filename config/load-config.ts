import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { z } from 'zod';
import { regionOfArn } from '../common/aws-regions.js';
import { ConfigError } from '../common/config-error.js';
import { derivedNameProblems } from './resource-names.js';
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
/** A configuration file is a few hundred bytes; anything near this is not one. */
const MAX_FILE_BYTES = 64 * 1024;
/** Values quoted in a message are cut to this many characters. */
const MAX_QUOTED_CHARACTERS = 100;

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

  if (project) {
    for (const environment of environments) {
      if (environment.settings && ENVIRONMENT_NAME.test(environment.name)) problems.push(...crossFileProblems(project, environment.name, environment.settings, display(join(dir, 'project.json')), display(join(environmentsDir, `${environment.name}.json`))));
    }
  }

  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return { project: project!, environments: environments as EnvironmentConfig[] };
}

function parseFile<T extends z.ZodType>(path: string, schema: T, problems: string[], display: (path: string) => string): z.infer<T> | undefined {
  let raw: unknown;
  try {
    const bytes = statSync(path).size;
    if (bytes > MAX_FILE_BYTES) {
      problems.push(`${display(path)}: (file) is ${bytes} bytes: a configuration file may have at most ${MAX_FILE_BYTES}`);
      return undefined;
    }
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${display(path)}: ${(error as Error).message}`);
    return undefined;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const field = issue.path.join('.');
    const value = valueAt(raw, issue.path);
    // For unknown fields, only those: the rest of the object is fine and would crowd them out.
    const received = issue.code === 'unrecognized_keys' && value !== null && typeof value === 'object' ? Object.fromEntries(issue.keys.map((key) => [key, (value as Record<string, unknown>)[key]])) : value;
    problems.push(`${display(path)}: ${field || '(file)'} = ${received === undefined ? '(missing)' : quote(received)}: ${describe(issue)}`);
  }
  return undefined;
}

/**
 * Rules that span the project file and an environment file: every name AWS limits (reported on the
 * project field, which the names start from) and KMS keys in the project's region.
 */
function crossFileProblems(project: ProjectSettings, environment: string, settings: EnvironmentSettings, projectFile: string, environmentFile: string): string[] {
  const names = derivedNameProblems(project.project, environment).map(
    (problem) => `${projectFile}: project = ${quote(project.project)}: with environment "${environment}" (${environmentFile}), ${problem}`,
  );
  const keys: Array<[string, string | undefined]> = [
    ['artifacts.kmsKeyArn', settings.artifacts.kmsKeyArn],
    ['fleet.rootVolumeKmsKeyArn', settings.fleet.rootVolumeKmsKeyArn],
  ];
  const regions = keys.flatMap(([field, arn]) =>
    arn !== undefined && regionOfArn(arn) !== project.region
      ? [`${environmentFile}: ${field} = ${quote(arn)}: must be a key in the project's region ${project.region} (${projectFile}); KMS keys do not cross regions`]
      : [],
  );
  return [...names, ...regions];
}

/** A value as JSON, cut to a readable length; safe for any depth of nesting. */
export function quote(value: unknown): string {
  let text = '';
  const write = (item: unknown): void => {
    if (text.length > MAX_QUOTED_CHARACTERS) return;
    if (Array.isArray(item)) {
      text += '[';
      item.forEach((element, index) => {
        if (index > 0) text += ',';
        write(element);
      });
      text += ']';
    } else if (item !== null && typeof item === 'object') {
      text += '{';
      Object.entries(item).forEach(([key, element], index) => {
        text += `${index > 0 ? ',' : ''}${JSON.stringify(key)}:`;
        write(element);
      });
      text += '}';
    } else {
      text += JSON.stringify(item);
    }
  };
  write(value);
  return text.length > MAX_QUOTED_CHARACTERS ? `${text.slice(0, MAX_QUOTED_CHARACTERS)}… (cut)` : text;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) return `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`;
  return issue.message;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), raw);
}
