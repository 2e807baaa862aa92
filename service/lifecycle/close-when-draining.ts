import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LifecycleService } from './lifecycle.service.js';

/**
 * An `onSend` hook: once shutdown has begun, every response (including those already in flight)
 * says `Connection: close`, so Apache stops reusing pooled connections to a process that is going away.
 */
export function closeConnectionsWhenDraining(lifecycle: LifecycleService) {
  return (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    if (lifecycle.isShuttingDown) reply.header('Connection', 'close');
    done(null, payload);
  };
}
