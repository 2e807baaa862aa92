import { ConsoleLogger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { LOG_LEVELS, type LogLevel } from '../config/service-config.js';

/** Nest's own logger in JSON mode: one JSON object per line on stdout, as journald and log shippers want. */
export function createJsonLogger(level: LogLevel): ConsoleLogger {
  const enabled: NestLogLevel[] = ['fatal', ...LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1)];
  return new ConsoleLogger({ json: true, logLevels: enabled });
}
