import { existsSync } from 'node:fs';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigError } from '../common/config-error.js';
import { RELEASE_OBJECT_KEY } from '../constants.js';
import { uploadArtifact } from './artifact-object.js';

export interface ServiceReleaseProps {
  /** Bucket that holds the releases. */
  readonly bucketName: string;
  /**
   * The release archive made by `npm run build:service` (dist/release.zip). It is built with fixed
   * timestamps, so its bytes, and the sha256 that instances check, are the same on every machine.
   */
  readonly archivePath: string;
  /** The release id from the release's manifest, recorded on the object. */
  readonly releaseId: string;
  /**
   * What the upload must wait for: the bucket's versioning (an object written before it has no
   * version id to pin) and default encryption. @default []
   */
  readonly bucketSettings?: ITerraformDependable[];
}

/**
 * The service release as one S3 object under a fixed key in the versioned artifact bucket. A changed
 * archive (its sha256 is the object's `source_hash`) updates the object in place: S3 keeps the old
 * release as a noncurrent version, the new version id goes into the user data, and so into a new
 * launch template version. An unchanged archive changes nothing. Nothing is replaced on a release.
 */
export class ServiceRelease extends Construct {
  readonly releaseId: string;
  /** sha256 (hex) of the archive; instances verify the download against it. */
  readonly archiveSha256: string;
  readonly objectKey: string;
  /** S3 version of the object: the launch template fetches exactly this one, so a rollback gets its own release back. */
  readonly objectVersionId: string;

  constructor(scope: Construct, id: string, props: ServiceReleaseProps) {
    super(scope, id);
    if (!existsSync(props.archivePath)) {
      throw new ConfigError(`release archive ${props.archivePath} does not exist; build it with \`npm run build:service\``, this);
    }
    if (!/^[0-9a-f]{16}$/.test(props.releaseId)) {
      throw new ConfigError(`releaseId (${JSON.stringify(props.releaseId)}) must be 16 hex digits as written in the release manifest`, this);
    }

    this.releaseId = props.releaseId;
    this.objectKey = RELEASE_OBJECT_KEY;
    const object = uploadArtifact(this, {
      bucketName: props.bucketName,
      filePath: props.archivePath,
      key: this.objectKey,
      contentType: 'application/zip',
      metadata: { 'release-id': props.releaseId },
      bucketSettings: props.bucketSettings,
    });
    this.archiveSha256 = object.sha256;
    this.objectVersionId = object.versionId;
  }
}
