import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { builtinsThroughRequire, deferNestTimestampFormatter, leftOutOfFastify } from '../../release/bundle-plugins.js';
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

describe('leftOutOfFastify', () => {
  const bundle = async (entry: string, plugins: ReturnType<typeof leftOutOfFastify>[]) => {
    const { metafile } = await build({ entryPoints: [join(REPOSITORY_ROOT, 'node_modules', entry)], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', plugins });
    return Object.keys(metafile.inputs);
  };

  test("leaves Fastify's schema compilers out of fastify, and glob out of @fastify/static, nothing else", async () => {
    // GIVEN fastify and @fastify/static bundled without, then with, the plugin
    const fastifyBefore = await bundle('fastify/fastify.js', []);
    const fastifyAfter = await bundle('fastify/fastify.js', [leftOutOfFastify()]);
    const staticAfter = await bundle('@fastify/static/index.js', [leftOutOfFastify()]);
    // THEN ajv and fast-json-stringify's compiler were in and are out (its small runtime serializer, which
    // Fastify's error serializer uses, stays); glob is out of @fastify/static; fastify's own code stays
    const fromPackage = (inputs: string[], name: string) => inputs.filter((input) => input.includes(`node_modules/${name}/`)).length;
    const compiler = (inputs: string[]) => inputs.includes('node_modules/fast-json-stringify/index.js');
    expect({ ajv: fromPackage(fastifyBefore, 'ajv') > 0, compiler: compiler(fastifyBefore), glob: fromPackage(await bundle('@fastify/static/index.js', []), 'glob') > 0 }).toEqual({ ajv: true, compiler: true, glob: true });
    expect({ ajv: fromPackage(fastifyAfter, 'ajv'), compiler: compiler(fastifyAfter), glob: fromPackage(staticAfter, 'glob') }).toEqual({ ajv: 0, compiler: false, glob: 0 });
    expect(fromPackage(fastifyAfter, 'fastify')).toBe(fromPackage(fastifyBefore, 'fastify'));
  });

  test('a stub that is used says what was left out and where', async () => {
    const { outputFiles } = await build({
      stdin: { contents: "const { glob } = require('glob'); module.exports = () => glob('**');", resolveDir: join(REPOSITORY_ROOT, 'node_modules', '@fastify', 'static'), sourcefile: join(REPOSITORY_ROOT, 'node_modules', '@fastify', 'static', 'index.js') },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      plugins: [leftOutOfFastify()],
    });
    const exported = { exports: {} as unknown };
    new Function('module', 'exports', 'require', outputFiles[0].text)(exported, exported.exports, () => ({}));
    expect(() => (exported.exports as () => unknown)()).toThrow('glob is left out of the release (release/bundle-plugins.ts): @fastify/static lists files with it only when wildcard is false');
  });
});
