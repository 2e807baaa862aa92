import { Injectable } from '@nestjs/common';

/** Whether the process is serving or draining; /health reads it, the SIGTERM handler sets it. */
@Injectable()
export class LifecycleService {
  private shuttingDown = false;

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
