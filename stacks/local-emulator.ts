import type { AwsProviderConfig } from '@cdktf/provider-aws/lib/provider/index.js';
import type { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import type { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { type IAspect, type S3Backend, TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
import { ConfigError } from '../common/config-error.js';

/**
 * Local mode: every AWS API and the state backend go to one emulator endpoint (moto's server mode on
 * loopback). Only `make local` / `LOCAL=1` sets it; what real AWS receives never depends on it.
 */
export interface LocalEmulator {
  /** The emulator's URL, e.g. http://127.0.0.1:4566. */
  readonly endpoint: string;
}

/**
 * Reads LOCAL_AWS_ENDPOINT: undefined when unset; an error naming the variable unless it is an http
 * URL on loopback (local mode must never send its fake credentials anywhere else).
 */
export function readEmulatorEndpoint(endpoint: string | undefined): LocalEmulator | undefined {
  if (!endpoint) return undefined;
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost):\d+$/.test(endpoint)) {
    throw new ConfigError(`LOCAL_AWS_ENDPOINT = ${JSON.stringify(endpoint)}: must be an http URL on loopback, such as http://127.0.0.1:4566`);
  }
  return { endpoint };
}

/** The AWS services the stacks call. */
const SERVICES = ['acm', 'autoscaling', 'cloudwatch', 'ec2', 'elbv2', 'iam', 'kms', 'route53', 's3', 'sns', 'sts'] as const;

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

interface IgnoredAttribute {
  readonly attribute: string;
  readonly why: string;
  /** Only resources this accepts. @default every resource of the type */
  readonly appliesTo?: (resource: TerraformResource) => boolean;
}

/** A security group rule whose peer is another security group (the only kind moto strips the description of). */
const referencesGroup = (rule: TerraformResource) => (rule as VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule).referencedSecurityGroupIdInput !== undefined;
const DROPPED_DESCRIPTION: IgnoredAttribute = { attribute: 'description', why: 'moto drops the description of a rule that references a security group', appliesTo: referencesGroup };

/**
 * Attributes the emulator stores or reports differently from AWS, so that every plan after a
 * deploy would show them as changes. Local mode tells Terraform to ignore exactly these (and only
 * there); the lifecycle test checks that each one still differs in the emulator's state, so a gap
 * that moto closes shows up as a failing test rather than a stale entry.
 */
export const EMULATOR_IGNORED_ATTRIBUTES: Readonly<Record<string, readonly IgnoredAttribute[]>> = {
  aws_autoscaling_group: [{ attribute: 'default_instance_warmup', why: 'moto forgets it and reports 0' }],
  aws_autoscaling_policy: [
    { attribute: 'enabled', why: 'moto reports false for an enabled policy' },
    { attribute: 'predictive_scaling_configuration', why: 'moto reports an empty block for a target-tracking policy' },
  ],
  aws_launch_template: [{ attribute: 'tag_specifications', why: "moto adds the template's own tags as a `launch-template` tag specification" }],
  aws_vpc_security_group_ingress_rule: [DROPPED_DESCRIPTION],
  aws_vpc_security_group_egress_rule: [DROPPED_DESCRIPTION],
};

/**
 * Local mode's handling of the emulator's gaps, as an aspect on the stack (WebAppStack also leaves
 * dual-stack off in local mode, and the release step names the new template version on the group
 * instead of an instance refresh, which moto lacks): each resource of a type in
 * EMULATOR_IGNORED_ATTRIBUTES gets those attributes in `lifecycle.ignore_changes`, whichever construct
 * made it. cdktf visits every construct at synth, after the stack's constructor has run.
 */
export class EmulatorGaps implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const attributes = (EMULATOR_IGNORED_ATTRIBUTES[node.terraformResourceType] ?? []).filter((gap) => gap.appliesTo?.(node) ?? true).map((gap) => gap.attribute);
    const existing = node.lifecycle?.ignoreChanges;
    if (attributes.length === 0 || existing === 'all') return;
    node.lifecycle = { ...node.lifecycle, ignoreChanges: [...(existing ?? []), ...attributes] };
  }
}
