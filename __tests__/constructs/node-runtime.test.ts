import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { compareVersions, NodeRuntime, type NodeRuntimeProps } from '../../constructs/node-runtime.js';
import { onlyResource, synthScope } from '../synth.js';

const tarball = join(mkdtempSync(join(tmpdir(), 'runtime-test-')), 'node.tgz');
writeFileSync(tarball, 'fixture runtime\n');
const props: NodeRuntimeProps = { bucketName: 'artifacts', archivePath: tarball, archiveSha256: 'c'.repeat(64), version: '24.21.0', architecture: 'x86_64', minimumVersion: '24.21.0' };

describe('NodeRuntime', () => {
  test('GIVEN a tarball WHEN synthesized THEN one object under the architecture\'s fixed key, its sha256 as source hash and metadata', () => {
    const object = onlyResource(synthScope((scope) => new NodeRuntime(scope, 'Runtime', props)), 'aws_s3_object');
    expect(object).toMatchObject({ key: 'runtimes/node-linux-x64.tgz', bucket: 'artifacts', content_type: 'application/gzip' });
    // The sha256 the build step worked out, not hashed again here.
    expect(object.source_hash).toBe('c'.repeat(64));
    expect(object.metadata).toEqual({ 'node-version': '24.21.0', sha256: object.source_hash });
    const arm = onlyResource(synthScope((scope) => new NodeRuntime(scope, 'Runtime', { ...props, architecture: 'arm64' })), 'aws_s3_object');
    expect(arm.key).toBe('runtimes/node-linux-arm64.tgz');
  });

  test('GIVEN a release built for a newer Node WHEN synthesized THEN refused, naming both versions', () => {
    expect(() => synthScope((scope) => new NodeRuntime(scope, 'Runtime', { ...props, minimumVersion: '24.22.0' }))).toThrow(
      'the release needs Node.js 24.22.0 or newer, and the runtime is 24.21.0',
    );
    // An older release on a newer runtime is fine.
    expect(() => synthScope((scope) => new NodeRuntime(scope, 'Runtime', { ...props, minimumVersion: '22.0.0' }))).not.toThrow();
  });

  test.each([
    ['version', { version: 'v24.21.0' }, 'NodeRuntime version ("v24.21.0") must be a version such as 24.21.0'],
    ['minimumVersion', { minimumVersion: '24' }, 'NodeRuntime minimumVersion ("24") must be a version such as 24.21.0'],
    ['archiveSha256', { archiveSha256: 'abc' }, 'NodeRuntime archiveSha256 ("abc") must be 64 hex digits'],
    ['archivePath', { archivePath: '/nonexistent/node.tgz' }, 'runtime tarball /nonexistent/node.tgz does not exist; fetch it with `npm run build:runtime`'],
  ])('GIVEN a bad %s WHEN synthesized THEN a ConfigError naming it', (_field, override, message) => {
    expect(() => synthScope((scope) => new NodeRuntime(scope, 'Runtime', { ...props, ...override }))).toThrow(message);
  });

  test('compares versions numerically, part by part', () => {
    expect(compareVersions('24.10.0', '24.9.9')).toBeGreaterThan(0);
    expect(compareVersions('24.21.0', '24.21.0')).toBe(0);
    expect(compareVersions('9.0.0', '10.0.0')).toBeLessThan(0);
  });
});
