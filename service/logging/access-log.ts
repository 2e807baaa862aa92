import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';

/** One structured line per request, written when the response ends (or the client goes away). On Node's own request and response, whichever the platform. */
export function accessLog(logger: LoggerService) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const startedAt = process.hrtime.bigint();
    response.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      logger.log(
        {
          event: 'request',
          method: request.method,
          url: request.url,
          status: response.statusCode,
          durationMs: Math.round(durationMs * 1000) / 1000,
          bytes: Number(response.getHeader('content-length') ?? 0),
          completed: response.writableFinished,
          remoteAddress: request.socket.remoteAddress ?? null,
          userAgent: request.headers['user-agent'] ?? null,
        },
        'Access',
      );
    });
  };
}
