import type { AwsProviderConfig } from '@cdktf/provider-aws/lib/provider/index.js';
import type { S3Backend } from 'cdktf';

/**
 * Local mode: every AWS API and the state backend go to one emulator endpoint (moto's server mode on
 * loopback). Only `make local` / `LOCAL=1` sets it; what real AWS receives never depends on it.
 */
export interface LocalEmulator {
  /** The emulator's URL, e.g. http://127.0.0.1:4566. */
  readonly endpoint: string;
}

/** The AWS services the stacks call. */
const SERVICES = ['acm', 'autoscaling', 'cloudwatch', 'ec2', 'elbv2', 'iam', 'route53', 's3', 'sns', 'sts'] as const;

/** Emulator-only AMIs (moto has no Debian images): its Amazon Linux images, by architecture. */
export const EMULATOR_AMI_IDS = { x86_64: 'ami-760aaa0f', arm64: 'ami-0e9271c829888680e' } as const;

export function emulatorProviderSettings(emulator: LocalEmulator): Partial<AwsProviderConfig> {
  return {
    endpoints: [Object.fromEntries(SERVICES.map((service) => [service, emulator.endpoint]))],
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    // Never ask an instance metadata service for credentials or region: this is not an instance.
    skipMetadataApiCheck: 'true',
  };
}

export function pointBackendAtEmulator(backend: S3Backend, emulator: LocalEmulator): void {
  backend.addOverride('endpoints', { s3: emulator.endpoint, sts: emulator.endpoint, iam: emulator.endpoint });
  backend.addOverride('use_path_style', true);
  backend.addOverride('skip_credentials_validation', true);
  backend.addOverride('skip_metadata_api_check', true);
  backend.addOverride('skip_requesting_account_id', true);
}
