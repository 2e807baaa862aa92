import { Module } from '@nestjs/common';
import { InstanceMetadataService } from './instance-metadata.service.js';
import { VersionController } from './version.controller.js';

@Module({ controllers: [VersionController], providers: [InstanceMetadataService], exports: [InstanceMetadataService] })
export class VersionModule {}
