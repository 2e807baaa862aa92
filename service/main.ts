import { flushCompileCache } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, shutDownGracefully } from './app.js';
import { loadServiceConfig, ServiceConfigError } from './config/service-config.js';
import { createJsonLogger } from './logging/json-logger.js';

async function main(): Promise<void> {
  let config;
  try {
    // A built release keeps public/ and manifest.json beside its entry point.
    config = loadServiceConfig(process.env, { releaseDir: dirname(fileURLToPath(import.meta.url)) });
  } catch (error) {
    if (!(error instanceof ServiceConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', context: 'Config', message: error.message })}\n`);
    process.exit(78); // EX_CONFIG: systemd and the tests can tell a bad setting from a crash
  }

  const logger = createJsonLogger(config.logLevel);
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo; // PORT=0 picks a free port
  logger.log({ event: 'listening', host: config.host, port }, 'Main');
  // With NODE_COMPILE_CACHE set (the unit sets it), write V8's code for what loaded so far now, not
  // only at exit: the next start of this worker skips compiling it. A no-op otherwise.
  flushCompileCache();

  const onSignal = async (signal: NodeJS.Signals) => {
    logger.log({ event: 'shutdown-started', signal, drainDelayMs: config.drainDelayMs, timeoutMs: config.shutdownTimeoutMs }, 'Main');
    const outcome = await shutDownGracefully(app, config.shutdownTimeoutMs, config.drainDelayMs);
    logger.log({ event: 'shutdown-finished', outcome }, 'Main');
    process.exit(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

await main();
