// scripts/stack.sh runs its TypeScript commands from the bundle scripts/build-commands.mjs makes:
// a command the script runs but the bundle lacks would fail only when that path is taken.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { REPOSITORY_ROOT } from '../terraform.js';

const read = (path: string) => readFileSync(join(REPOSITORY_ROOT, path), 'utf8');

describe('the commands stack.sh runs bundled', () => {
  const bundled = JSON.parse(/export const COMMANDS = (\[[^\]]*\]);/.exec(read('scripts/build-commands.mjs'))![1].replaceAll("'", '"')) as string[];
  // `run <name>` where a command starts: a line's start, `$(`, `{ `, `&& `, `|| `, `) `.
  const ran = [...new Set([...read('scripts/stack.sh').matchAll(/(?:^\s*|\$\(|\{ |&& |\|\| |\) )run ([a-z-]+)/gm)].map(([, name]) => name))];

  test('are exactly the ones it runs, each a TypeScript file in scripts/', () => {
    expect([...bundled].sort()).toEqual([...ran].sort());
    expect(bundled.filter((name) => !existsSync(join(REPOSITORY_ROOT, 'scripts', `${name}.ts`)))).toEqual([]);
  });

  test('no longer go through tsx', () => {
    expect(read('scripts/stack.sh')).not.toMatch(/\btsx\b.*scripts\//);
  });
});
