// esbuild plugins of the release build (scripts/build-release.ts) that take work out of a worker's
// start without changing what the service does. Each was found in a CPU profile of a first start
// (bench/cold-start.ts; BENCHMARKS.md, "Cold start, leaner").
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';
import { HTTP_PLATFORMS, type HttpPlatformName, RELEASE_ENTRY_FILE, releaseBundleFile } from '../constants.js';

/**
 * Node's built-in modules, where an ES module imports them, are taken with `require` instead. Node
 * gives an imported built-in an ES module facade that reads each of its exports once, and reading
 * node:http's lazy `WebSocket` family of exports loads undici: about 50 ms of a cold start, for a
 * client the service never uses. `require` returns the module object as it is; esbuild's interop
 * gives the importer the same named exports.
 */
export function builtinsThroughRequire(): Plugin {
  return {
    name: 'builtins-through-require',
    setup(builder) {
      builder.onResolve({ filter: /^[a-z:_/0-9]+$/ }, ({ path, kind }) => (kind === 'import-statement' && isBuiltin(path) ? { path, namespace: 'builtin-require' } : undefined));
      builder.onLoad({ filter: /.*/, namespace: 'builtin-require' }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js' }));
    },
  };
}

const NEST_LOGGERS = /node_modules\/@nestjs\/common\/services\/(console-logger|logger)\.service\.js$/;
const EAGER_FORMATTER = /const dateTimeFormatter = new Intl\.DateTimeFormat\(([^;]*?)\);/;

/**
 * Nest's `ConsoleLogger` and `Logger` modules each build an `Intl.DateTimeFormat` when they load
 * (the first about 30 ms: ICU's data and pattern generator), which only Nest's text log format
 * uses; this service logs in JSON mode, whose timestamp is a number. The same formatter, built on
 * its first use. Throws, naming the file, when a module no longer has the line this expects (a Nest
 * upgrade): drop or adjust this then.
 */
export function deferNestTimestampFormatter(source: string, path: string): string {
  if (!EAGER_FORMATTER.test(source)) {
    throw new Error(`${path}: no "const dateTimeFormatter = new Intl.DateTimeFormat(...)" any more; release/bundle-plugins.ts expects it (a Nest upgrade?)`);
  }
  return source.replace(EAGER_FORMATTER, 'let lazyDateTimeFormatter;\nconst dateTimeFormatter = { format: (date) => (lazyDateTimeFormatter ??= new Intl.DateTimeFormat($1)).format(date) };');
}

export function lazyNestTimestampFormatters(): Plugin {
  return {
    name: 'lazy-nest-timestamp-formatters',
    setup(builder) {
      builder.onLoad({ filter: NEST_LOGGERS }, ({ path }) => ({ contents: deferNestTimestampFormatter(readFileSync(path, 'utf8'), path), loader: 'js' }));
    },
  };
}

/**
 * Nest's `NestFactory` imports `@nestjs/platform-express` (its whole index: the adapter, and the
 * file-upload interceptors with multer, busboy and a second mime-db) when an app is created without
 * an adapter. This service always passes one (service/platform/), importing the adapter's own
 * module, so that import stays out of the bundle, as the optional packages Nest never loads here do.
 */
export function noDefaultNestAdapter(): Plugin {
  return {
    name: 'no-default-nest-adapter',
    setup(builder) {
      builder.onResolve({ filter: /^@nestjs\/platform-express$/ }, ({ path, kind, importer }) =>
        kind === 'dynamic-import' && /@nestjs\/core\/nest-factory\.js$/.test(importer) ? { path, external: true } : undefined,
      );
    },
  };
}

/**
 * One HTTP platform per bundle: the service's import of every other platform's file
 * (service/platform/<name>-platform.ts) becomes a module that throws, saying which file to start,
 * so that a start compiles only the platform it runs (each platform brings about 0.8 MB of its own).
 */
export function onePlatform(platform: HttpPlatformName): Plugin {
  const others = HTTP_PLATFORMS.filter((name) => name !== platform);
  return {
    name: 'one-platform',
    setup(builder) {
      builder.onResolve({ filter: /\/platform\/[a-z]+-platform\.js$/ }, ({ path }) => {
        const name = others.find((other) => path.endsWith(`/${other}-platform.js`));
        return name ? { path: name, namespace: 'platform-left-out' } : undefined;
      });
      builder.onLoad({ filter: /.*/, namespace: 'platform-left-out' }, ({ path }) => ({
        contents: `throw new Error(${JSON.stringify(`${releaseBundleFile(platform)} carries the ${platform} platform only, not ${path}: start ${RELEASE_ENTRY_FILE}, which runs the bundle HTTP_PLATFORM names`)});`,
        loader: 'js',
      }));
    },
  };
}

/** The release's entry point: imports the bundle of the platform HTTP_PLATFORM names; the bundle checks the setting as it checks every other. */
export function releaseEntrySource(): string {
  const [fallback, ...others] = HTTP_PLATFORMS;
  const choice = others.reduceRight((otherwise, name) => `process.env.HTTP_PLATFORM === ${JSON.stringify(name)} ? ${JSON.stringify(`./${releaseBundleFile(name)}`)} : ${otherwise}`, JSON.stringify(`./${releaseBundleFile(fallback)}`));
  return [
    '// Starts the bundle of the HTTP platform HTTP_PLATFORM names (the first unless it names another).',
    '// Each bundle carries one platform, so a start compiles only what it runs.',
    `await import(${choice});`,
    '',
  ].join('\n');
}

/** What the Fastify bundle leaves out, where it is imported from, and what stands in its place. */
const LEFT_OUT_OF_FASTIFY = [
  {
    module: 'glob',
    importer: /node_modules\/@fastify\/static\/index\.js$/,
    // @fastify/static lists the files with glob only when `wildcard` is false; service/platform/fastify-platform.ts serves with wildcard: true.
    contents: 'module.exports = { glob: () => { throw new Error("glob is left out of the release (release/bundle-plugins.ts): @fastify/static lists files with it only when wildcard is false"); } };',
  },
  ...['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'].map((module) => ({
    module,
    importer: /node_modules\/fastify\/lib\/schema-controller\.js$/,
    // Fastify loads its schema compilers only where the app passes none; service/platform/fastify-platform.ts passes its own (no route has a schema).
    contents: `throw new Error(${JSON.stringify(`${module} is left out of the release (release/bundle-plugins.ts): the service passes Fastify compilers of its own`)});`,
  })),
];

/**
 * Code the Fastify bundle never runs, left out (ajv, fast-json-stringify and glob with what they
 * bring): Fastify's schema compilers, which it loads only for a route with a schema and only when the
 * app passes no compilers of its own (the platform passes ones that throw: no route has a schema),
 * and glob, which @fastify/static uses only when `wildcard` is false. Each is replaced where those
 * packages import it by a stub that throws, naming itself, if it is ever used.
 */
export function leftOutOfFastify(): Plugin {
  return {
    name: 'left-out-of-fastify',
    setup(builder) {
      builder.onResolve({ filter: /^(glob|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler)$/ }, ({ path, importer }) => {
        const entry = LEFT_OUT_OF_FASTIFY.find((candidate) => candidate.module === path && candidate.importer.test(importer));
        return entry ? { path, namespace: 'left-out-of-fastify' } : undefined;
      });
      builder.onLoad({ filter: /.*/, namespace: 'left-out-of-fastify' }, ({ path }) => ({ contents: LEFT_OUT_OF_FASTIFY.find((entry) => entry.module === path)!.contents, loader: 'js' }));
    },
  };
}
