import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../common/config-error.js';
import { ServiceRelease } from '../../constructs/service-release.js';
import { fixtureRelease, onlyResource, synthScope } from '../synth.js';

describe('ServiceRelease', () => {
  const release = fixtureRelease();
  const sha256 = createHash('sha256').update(readFileSync(release.archivePath)).digest('hex');

  test('uploads the archive under the fixed release key, its sha256 as source hash, from a relative asset path', () => {
    let construct!: ServiceRelease;
    const out = synthScope((scope) => {
      construct = new ServiceRelease(scope, 'Release', { bucketName: 'bucket', ...release });
    });
    const object = onlyResource(out, 'aws_s3_object');
    expect(object).toEqual({
      bucket: 'bucket',
      key: 'releases/service.zip',
      source_hash: sha256,
      source: expect.stringMatching(/^assets\/Release_Archive_[0-9A-F]{8}\/[0-9A-F]{32}\/release\.zip$/),
      content_type: 'application/zip',
      metadata: { 'release-id': '0123456789abcdef', sha256 },
    });
    expect(construct.archiveSha256).toBe(sha256);
    expect(construct.objectVersionId).toMatch(/^\$\{TfToken/);
  });

  test('gives the same key and asset path for the same bytes from another place', () => {
    const again = fixtureRelease();
    const keys = [release, again].map((r) => onlyResource(synthScope((scope) => new ServiceRelease(scope, 'Release', { bucketName: 'b', ...r })), 'aws_s3_object'));
    expect(keys[1]).toEqual(keys[0]);
  });

  test('refuses a missing archive and a malformed release id', () => {
    expect(() => synthScope((scope) => new ServiceRelease(scope, 'Release', { bucketName: 'b', archivePath: '/nope.zip', releaseId: '0123456789abcdef' }))).toThrow(
      new ConfigError('stack/Release: release archive /nope.zip does not exist; build it with `npm run build:service`'),
    );
    expect(() => synthScope((scope) => new ServiceRelease(scope, 'Release', { bucketName: 'b', archivePath: release.archivePath, releaseId: 'v1' }))).toThrow(
      new ConfigError('stack/Release: releaseId ("v1") must be 16 hex digits as written in the release manifest'),
    );
  });
});
