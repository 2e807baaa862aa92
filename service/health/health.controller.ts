import { Controller, Get, Header, Res } from '@nestjs/common';
import { HEALTH_PATH } from '../../constants.js';
import { LifecycleService } from '../lifecycle/lifecycle.service.js';
import type { ServiceResponse } from '../platform/http-platform.js';

export interface HealthReport {
  status: 'ok' | 'shutting-down';
}

/** Local and cheap on purpose: the load balancer replaces instances that fail it. */
@Controller(HEALTH_PATH)
export class HealthController {
  constructor(private readonly lifecycle: LifecycleService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  check(@Res({ passthrough: true }) res: ServiceResponse): HealthReport {
    if (this.lifecycle.isShuttingDown) {
      res.status(503);
      return { status: 'shutting-down' };
    }
    return { status: 'ok' };
  }
}
