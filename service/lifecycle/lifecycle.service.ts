import { Injectable } from '@nestjs/common';

/** Whether the process is serving or draining; /health reads it, the SIGTERM handler sets it. */
@Injectable()
export class LifecycleService {
  private shutdownStartedAt: number | null = null;

  beginShutdown(): void {
    this.shutdownStartedAt ??= Date.now();
  }

  get isShuttingDown(): boolean {
    return this.shutdownStartedAt !== null;
  }
}
