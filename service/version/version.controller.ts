import { Controller, Get, Header, Inject } from '@nestjs/common';
import { VERSION_PATH } from '../../constants.js';
import { InstanceMetadataService } from './instance-metadata.service.js';
import { RELEASE_INFO, type ReleaseInfo } from './release-manifest.js';

export interface VersionReport {
  releaseId: string;
  commit: string | null;
  uptimeSeconds: number;
  instanceId: string | null;
  availabilityZone: string | null;
}

@Controller(VERSION_PATH)
export class VersionController {
  constructor(
    @Inject(RELEASE_INFO) private readonly release: ReleaseInfo,
    private readonly instanceMetadata: InstanceMetadataService,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  version(): VersionReport {
    const instance = this.instanceMetadata.current();
    return {
      releaseId: this.release.releaseId,
      commit: this.release.commit,
      uptimeSeconds: Math.floor(process.uptime()),
      instanceId: instance?.instanceId ?? null,
      availabilityZone: instance?.availabilityZone ?? null,
    };
  }
}
