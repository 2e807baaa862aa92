import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { builtinsThroughRequire, deferNestTimestampFormatter } from '../../release/bundle-plugins.js';
import { REPOSITORY_ROOT } from '../terraform.js';

const nestServices = join(REPOSITORY_ROOT, 'node_modules', '@nestjs', 'common', 'services');

describe('deferNestTimestampFormatter', () => {
  test.each(['console-logger.service.js', 'logger.service.js'])("builds %s's timestamp formatter on first use, formatting exactly as the eager one", (file) => {
    // GIVEN the installed @nestjs/common's logger module, WHEN deferred
    const source = readFileSync(join(nestServices, file), 'utf8');
    const deferred = deferNestTimestampFormatter(source, file);
    // THEN nothing builds a formatter at load, and the one built later formats the same
    expect(deferred).not.toMatch(/const dateTimeFormatter = new Intl\.DateTimeFormat/);
    const formatterOf = (text: string) => new Function(`${/(?:let lazyDateTimeFormatter;\n)?const dateTimeFormatter = [^;]*;/.exec(text)![0]} return dateTimeFormatter;`)() as Intl.DateTimeFormat;
    const moment = Date.UTC(2026, 10, 27, 23, 30, 5);
    expect(formatterOf(deferred).format(moment)).toBe(formatterOf(source).format(moment));
  });

  test('refuses, naming the file, a module without the line it expects', () => {
    expect(() => deferNestTimestampFormatter('const dateTimeFormatter = makeFormatter();', '/x/console-logger.service.js')).toThrow(
      '/x/console-logger.service.js: no "const dateTimeFormatter = new Intl.DateTimeFormat(...)" any more',
    );
  });
});

describe('builtinsThroughRequire', () => {
  test("turns an ES module's import of a built-in into require, keeping its named exports", async () => {
    // GIVEN an ES module importing node:http by name, bundled for node as ESM
    const bundle = async (plugins: ReturnType<typeof builtinsThroughRequire>[]) =>
      (await build({ stdin: { contents: "import { STATUS_CODES } from 'node:http'; console.log(STATUS_CODES[404]);", loader: 'js' }, bundle: true, platform: 'node', format: 'esm', write: false, plugins })).outputFiles[0].text;
    // THEN without the plugin the output imports it (Node's facade), with it the output requires it
    expect(await bundle([])).toMatch(/^import \{ STATUS_CODES \} from "node:http";$/m);
    const output = await bundle([builtinsThroughRequire()]);
    expect(output).not.toMatch(/^import /m);
    expect(output).toMatch(/module\.exports = __require\("node:http"\)/);
  });
});
