/** Configuration that cannot be deployed; raised at synth time, before Terraform runs. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
