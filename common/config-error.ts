import type { IConstruct } from 'constructs';

/**
 * Configuration that cannot be deployed; raised at synth time, before Terraform runs. Raised by a
 * construct, it names the construct's path (which stack, which construct), as aws-cdk's
 * `ValidationError(message, scope)` does: `webapp-dev/Fleet: minCapacity (3) must not exceed ...`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The path of the construct that refused its props, when a construct raised it. */
  readonly constructPath: string | undefined;

  constructor(message: string, scope?: IConstruct) {
    super(scope ? `${scope.node.path}: ${message}` : message);
    this.constructPath = scope?.node.path;
  }
}
