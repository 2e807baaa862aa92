import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SERVICE_CONFIG } from '../config/config.module.js';
import type { ServiceConfig } from '../config/service-config.js';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
}

const TOKEN_TTL_SECONDS = 21_600;

/**
 * The EC2 instance's identity. Given in the settings (INSTANCE_ID and AVAILABILITY_ZONE: on instances
 * the install script writes them, and the workers' unit lets them reach nothing but loopback), it is
 * used as is. Otherwise, with IMDS_ENABLED, it is looked up once through IMDSv2 in the background
 * after boot; until the answer arrives (or for good, off EC2) `current()` is null, so no request ever
 * waits on the metadata service.
 */
@Injectable()
export class InstanceMetadataService implements OnApplicationBootstrap {
  private readonly logger = new Logger(InstanceMetadataService.name);
  private identity: InstanceIdentity | null = null;
  private lookup: Promise<void> = Promise.resolve();

  constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.instanceIdentity) {
      this.identity = this.config.instanceIdentity;
      return;
    }
    if (!this.config.imdsEnabled) return;
    this.lookup = this.fetchIdentity().then(
      (identity) => {
        this.identity = identity;
        this.logger.log({ event: 'instance-identity', ...identity });
      },
      (error: Error) => this.logger.warn({ event: 'instance-identity-unavailable', reason: error.message }),
    );
  }

  current(): InstanceIdentity | null {
    return this.identity;
  }

  /** Resolves once the background lookup has succeeded or given up. */
  settled(): Promise<void> {
    return this.lookup;
  }

  private async fetchIdentity(): Promise<InstanceIdentity> {
    const token = await this.request('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) });
    const headers = { 'X-aws-ec2-metadata-token': token };
    const [instanceId, availabilityZone] = await Promise.all([
      this.request('GET', '/latest/meta-data/instance-id', headers),
      this.request('GET', '/latest/meta-data/placement/availability-zone', headers),
    ]);
    return { instanceId, availabilityZone };
  }

  private async request(method: string, path: string, headers: Record<string, string>): Promise<string> {
    const response = await fetch(`${this.config.imdsEndpoint}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(this.config.imdsTimeoutMs),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
    return (await response.text()).trim();
  }
}
