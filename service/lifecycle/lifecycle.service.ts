import { Injectable } from '@nestjs/common';

/** Whether the process is serving or draining; /health reads it, the SIGTERM handler sets it. */
@Injectable()
export class LifecycleService {
  private shuttingDown = false;
  private closing = false;

  /** Draining: /health answers 503, every response says Connection: close. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The listener is closing: a request still arriving on an open connection gets the closed answer. */
  beginClosing(): void {
    this.shuttingDown = true;
    this.closing = true;
  }

  get isClosing(): boolean {
    return this.closing;
  }
}
