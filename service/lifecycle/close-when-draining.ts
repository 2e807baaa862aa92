import type { NextFunction, Request, Response } from 'express';
import onHeaders from 'on-headers';
import type { LifecycleService } from './lifecycle.service.js';

/**
 * Once shutdown has begun, every response (including those already in flight) says
 * `Connection: close`, so Apache stops reusing pooled connections to a process that is going away.
 */
export function closeConnectionsWhenDraining(lifecycle: LifecycleService) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    onHeaders(res, () => {
      if (lifecycle.isShuttingDown) res.setHeader('Connection', 'close');
    });
    next();
  };
}
