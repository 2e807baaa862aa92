import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { NODE_RUNTIME } from '../../constants.js';
import { binaryArchitecture, pinnedNodeBinary, prepareRuntime, RUNTIME_ARCHITECTURES } from '../../release/node-runtime.js';

const root = join(import.meta.dirname, '..', '..');

describe('the pinned Node.js runtime', () => {
  test.each(RUNTIME_ARCHITECTURES)('GIVEN the registry tarball for %s WHEN built THEN its sha512 is the pinned one and its binary is built for that architecture', (architecture) => {
    // prepareRuntime throws on a sha512 or architecture mismatch; the architecture is read again here.
    const built = prepareRuntime(root, architecture);
    expect(built.version).toBe(NODE_RUNTIME.version);
    expect(binaryArchitecture(built.archivePath)).toBe(architecture);
  });

  test('GIVEN this machine WHEN the tests run the release THEN on the pinned binary, which reports the pinned version', () => {
    const run = spawnSync(pinnedNodeBinary(root), ['--version'], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe(`v${NODE_RUNTIME.version}`);
    // npm puts the pinned binary first on the PATH of every script, jest's included.
    expect(process.version).toBe(`v${NODE_RUNTIME.version}`);
  });
});
