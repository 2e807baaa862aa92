import { type DynamicModule, Global, Module } from '@nestjs/common';
import { readReleaseInfo, RELEASE_INFO } from '../version/release-manifest.js';
import type { ServiceConfig } from './service-config.js';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

/** Makes the validated configuration and the release's identity injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: RELEASE_INFO, useValue: readReleaseInfo(config.releaseDir) },
      ],
      exports: [SERVICE_CONFIG, RELEASE_INFO],
    };
  }
}
