// esbuild plugins of the release build (scripts/build-release.ts) that take work out of a worker's
// start without changing what the service does. Each was found in a CPU profile of a first start
// (bench/cold-start.ts; README of BENCHMARKS.md, "Cold start").
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

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

export function lazyNestTimestampFormatters(readSource: (path: string) => string): Plugin {
  return {
    name: 'lazy-nest-timestamp-formatters',
    setup(builder) {
      builder.onLoad({ filter: NEST_LOGGERS }, ({ path }) => ({ contents: deferNestTimestampFormatter(readSource(path), path), loader: 'js' }));
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
