import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import type { ServiceConfig } from './config/service-config.js';
import { HealthModule } from './health/health.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { SiteModule } from './site/site.module.js';
import { VersionModule } from './version/version.module.js';

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), LifecycleModule, HealthModule, VersionModule, SiteModule],
    };
  }
}
