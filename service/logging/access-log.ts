import type { LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** One structured line per request, written when the response ends (or the client goes away). */
export function accessLog(logger: LoggerService) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const startedAt = process.hrtime.bigint();
    reply.raw.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      logger.log(
        {
          event: 'request',
          method: request.method,
          url: request.url,
          status: reply.raw.statusCode,
          durationMs: Math.round(durationMs * 1000) / 1000,
          bytes: Number(reply.raw.getHeader('content-length') ?? 0),
          completed: reply.raw.writableFinished,
          remoteAddress: request.socket.remoteAddress ?? null,
          userAgent: request.headers['user-agent'] ?? null,
        },
        'Access',
      );
    });
    done();
  };
}
