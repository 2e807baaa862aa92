import { join } from 'node:path';
import { Controller, Get, type LoggerService } from '@nestjs/common';
export { HTTP_PLATFORMS } from '../../service/platform/http-platform.js';
import { Test } from '@nestjs/testing';
import { configureApp, platformOf } from '../../service/app.js';
import { AppModule } from '../../service/app.module.js';
import { loadServiceConfig, type ServiceConfig } from '../../service/config/service-config.js';

export const SERVICE_SOURCE_DIR = join(import.meta.dirname, '..', '..', 'service');

export interface LogEntry {
  level: string;
  message: unknown;
  context?: string;
}

/** Keeps what the app logs so tests can assert on it. */
export class RecordingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  log(message: unknown, context?: string) { this.entries.push({ level: 'log', message, context }); }
  error(message: unknown, _trace?: string, context?: string) { this.entries.push({ level: 'error', message, context }); }
  warn(message: unknown, context?: string) { this.entries.push({ level: 'warn', message, context }); }
  debug(message: unknown, context?: string) { this.entries.push({ level: 'debug', message, context }); }
  verbose(message: unknown, context?: string) { this.entries.push({ level: 'verbose', message, context }); }
  fatal(message: unknown, context?: string) { this.entries.push({ level: 'fatal', message, context }); }
}

/** A route that takes as long as the test says, to have a request in flight during shutdown. */
@Controller('test-slow')
class SlowController {
  @Get()
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { done: true };
  }
}

export function testConfig(env: NodeJS.ProcessEnv = {}): ServiceConfig {
  return loadServiceConfig({ IMDS_ENABLED: 'false', ...env }, { releaseDir: SERVICE_SOURCE_DIR });
}

/** The real app, as `createApp` builds it, plus the slow test route; initialised, not listening. */
export async function startTestApp(config: ServiceConfig = testConfig()) {
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)], controllers: [SlowController] })
    .setLogger(logger)
    .compile();
  const platform = await platformOf(config);
  const app = await configureApp(moduleRef.createNestApplication(platform.createAdapter(config), { ...platform.appOptions, logger }), config, logger);
  await app.init();
  await platform.ready(app); // supertest talks to the bare server
  return { app, logger };
}
