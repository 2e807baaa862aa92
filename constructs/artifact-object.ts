import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object/index.js';
import { AssetType, type ITerraformDependable, TerraformAsset } from 'cdktf';
import type { Construct } from 'constructs';

export interface ArtifactUpload {
  readonly bucketName: string;
  /** The file to upload, as is. */
  readonly filePath: string;
  readonly key: string;
  readonly contentType: string;
  /** Recorded on the object beside its sha256. */
  readonly metadata: Record<string, string>;
  /** What the upload must wait for: the bucket's versioning (an object written before it has no version id to pin) and default encryption. */
  readonly bucketSettings?: ITerraformDependable[];
  /** The file's sha256 (hex) when the caller has it already (a 52 MB runtime is not hashed at every synth). @default - worked out here */
  readonly sha256?: string;
}

export interface UploadedArtifact {
  /** sha256 (hex) of the file; instances verify the download against it. */
  readonly sha256: string;
  /** S3 version of the object: a launch template names exactly this one, so a rollback gets its own artifact back. */
  readonly versionId: string;
}

/**
 * One file as one object in the versioned artifact bucket, as `Archive` (the asset) and `Object` in
 * `scope`. A changed file (its sha256 is the object's `source_hash`) updates the object in place: S3
 * keeps the old one as a noncurrent version and the new version id reaches the user data.
 */
export function uploadArtifact(scope: Construct, upload: ArtifactUpload): UploadedArtifact {
  const sha256 = upload.sha256 ?? createHash('sha256').update(readFileSync(upload.filePath)).digest('hex');
  // A FILE asset is copied as is; cdktf's ARCHIVE type would zip with timestamps and differ per clone.
  // Its folder is named after our sha256, so cdktf does not read the file a second time for an md5 of its own.
  const asset = new TerraformAsset(scope, 'Archive', { path: upload.filePath, type: AssetType.FILE, assetHash: sha256.slice(0, 32).toUpperCase() });
  const object = new S3Object(scope, 'Resource', {
    bucket: upload.bucketName,
    key: upload.key,
    source: asset.path,
    // Without it a new file at an unchanged path would not count as a change.
    sourceHash: sha256,
    contentType: upload.contentType,
    metadata: { ...upload.metadata, sha256 },
    dependsOn: upload.bucketSettings,
  });
  return { sha256, versionId: object.versionId };
}
