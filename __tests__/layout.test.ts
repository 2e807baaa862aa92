// The layout tells the architecture (STYLE.md): dependencies point one way, from the stacks through
// the constructs to the shared pieces, and configuration never reaches into the constructs.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The top-level folders each `.ts` file under `folder` imports from, as "file -> folder" lines. */
function importsOf(folder: string): string[] {
  const files = readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return files.flatMap((file) => {
    const path = join(ROOT, folder, file);
    const specifiers = [...readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]);
    return specifiers.map((specifier) => `${folder}/${file} -> ${relative(ROOT, resolve(dirname(path), specifier)).split('/')[0]}`);
  });
}

function reaching(folder: string, forbidden: string[]): string[] {
  return importsOf(folder).filter((line) => forbidden.includes(line.split(' -> ')[1]));
}

describe('layout', () => {
  test('config/ reads the shared pieces, never the constructs or the stacks', () => {
    expect(importsOf('config').length).toBeGreaterThan(0);
    expect(reaching('config', ['constructs', 'stacks'])).toEqual([]);
  });

  test('common/ depends on nothing of the project', () => {
    expect(reaching('common', ['config', 'constructs', 'stacks', 'constants.ts'])).toEqual([]);
  });

  test('constructs/ know neither the configuration nor the stacks', () => {
    expect(importsOf('constructs').some((line) => line.endsWith('-> common'))).toBe(true);
    expect(reaching('constructs', ['config', 'stacks'])).toEqual([]);
  });

  test('the finder follows imports across folders (the configuration tests import config/)', () => {
    expect(importsOf('__tests__').filter((line) => line.startsWith('__tests__/config/') && line.endsWith('-> config')).length).toBeGreaterThan(0);
  });
});
