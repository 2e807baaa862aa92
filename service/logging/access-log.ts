import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** One structured line per request, written when the response ends (or the client goes away). */
export function accessLog(logger: LoggerService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const startedAt = process.hrtime.bigint();
    res.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      logger.log(
        {
          event: 'request',
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 1000) / 1000,
          bytes: Number(res.getHeader('content-length') ?? 0),
          completed: res.writableFinished,
          remoteAddress: req.socket.remoteAddress ?? null,
          userAgent: req.get('user-agent') ?? null,
        },
        'Access',
      );
    });
    next();
  };
}
