import { existsSync } from 'node:fs';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import type { Architecture } from '../common/instance-architecture.js';
import { NODE_RUNTIME, RUNTIME_KEY_PREFIX } from '../constants.js';
import { uploadArtifact } from './artifact-object.js';

export interface NodeRuntimeProps {
  /** Bucket that holds the releases and runtimes. */
  readonly bucketName: string;
  /** The runtime tarball made by `npm run build:runtime` (dist/runtime/node-linux-<arch>-<version>.tgz), as the npm registry has it. */
  readonly archivePath: string;
  /** Its Node.js version, without the `v`: instances refuse a binary that reports another. */
  readonly version: string;
  /** sha256 (hex) of the tarball, as scripts/build-runtime.ts worked it out when it checked it. */
  readonly archiveSha256: string;
  /** The instances' architecture; the tarball must be built for it. */
  readonly architecture: Architecture;
  /** The lowest Node.js version the release runs on (its manifest's `minimumNodeVersion`). */
  readonly minimumVersion: string;
  /** What the upload must wait for, as for the release. @default [] */
  readonly bucketSettings?: ITerraformDependable[];
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/** The fixed key of `architecture`'s runtime in the artifact bucket (S3 versions keep each runtime). */
export function runtimeObjectKey(architecture: Architecture): string {
  return `${RUNTIME_KEY_PREFIX}${NODE_RUNTIME.packages[architecture].name}.tgz`;
}

/** Compares two `major.minor.patch` versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => VERSION.exec(version)!.slice(1).map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * The Node.js runtime instances run the service on, as one S3 object per architecture under a fixed
 * key in the versioned artifact bucket (like the release): the launch template names its version id
 * and sha256, so a new runtime is a new launch template version, rolled out and rolled back as a
 * release is. Refuses a runtime older than the release needs, at synth.
 */
export class NodeRuntime extends Construct {
  readonly version: string;
  readonly objectKey: string;
  readonly objectVersionId: string;
  /** sha256 (hex) of the tarball; instances verify the download against it. */
  readonly archiveSha256: string;

  constructor(scope: Construct, id: string, props: NodeRuntimeProps) {
    super(scope, id);
    for (const [field, value] of [['version', props.version], ['minimumVersion', props.minimumVersion]] as const) {
      if (!VERSION.test(value)) throw new ConfigError(`NodeRuntime ${field} (${JSON.stringify(value)}) must be a version such as 24.21.0`, this);
    }
    if (!/^[0-9a-f]{64}$/.test(props.archiveSha256)) throw new ConfigError(`NodeRuntime archiveSha256 (${JSON.stringify(props.archiveSha256)}) must be 64 hex digits`, this);
    if (!existsSync(props.archivePath)) {
      throw new ConfigError(`runtime tarball ${props.archivePath} does not exist; fetch it with \`npm run build:runtime\``, this);
    }
    if (compareVersions(props.version, props.minimumVersion) < 0) {
      throw new ConfigError(
        `the release needs Node.js ${props.minimumVersion} or newer, and the runtime is ${props.version}: rebuild the release (npm run build:service) with the runtime named in constants.ts (NODE_RUNTIME)`,
        this,
      );
    }
    this.version = props.version;
    this.objectKey = runtimeObjectKey(props.architecture);
    const object = uploadArtifact(this, {
      bucketName: props.bucketName,
      filePath: props.archivePath,
      key: this.objectKey,
      contentType: 'application/gzip',
      metadata: { 'node-version': props.version },
      bucketSettings: props.bucketSettings,
      sha256: props.archiveSha256,
    });
    this.objectVersionId = object.versionId;
    this.archiveSha256 = object.sha256;
  }
}
