import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { NODE_RUNTIME } from '../../constants.js';
import { binaryArchitecture, checkedRuntime, checkIntegrity, RUNTIME_BINARY, runtimeArchivePath } from '../../release/node-runtime.js';

const work = mkdtempSync(join(tmpdir(), 'node-runtime-test-'));

/** A tarball laid out as npm packs node-linux-*, whose package/bin/node starts with an ELF header for `machine`. */
function tarballWithBinary(name: string, machine: number): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'package', 'bin'), { recursive: true });
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2; // 64-bit
  header.writeUInt16LE(machine, 18);
  writeFileSync(join(dir, RUNTIME_BINARY), header);
  const tarball = join(work, `${name}.tgz`);
  execFileSync('tar', ['-czf', tarball, '-C', dir, 'package']);
  return tarball;
}

describe('the runtime tarball checks', () => {
  test('GIVEN a file and its sha512 WHEN checked THEN it passes; one changed byte THEN it fails naming both digests', () => {
    const file = join(work, 'file');
    writeFileSync(file, 'node runtime');
    const integrity = `sha512-${createHash('sha512').update('node runtime').digest('base64')}`;
    expect(() => checkIntegrity(file, integrity)).not.toThrow();
    writeFileSync(file, 'node runtimE');
    expect(() => checkIntegrity(file, integrity)).toThrow(/sha512 mismatch: expected .+, got .+/);
    expect(() => checkIntegrity(file, 'sha1-abc')).toThrow('must be sha512-<base64>');
  });

  test('GIVEN tarballs of each architecture WHEN their ELF header is read THEN x86_64 and arm64, and nothing for another machine', () => {
    expect(binaryArchitecture(tarballWithBinary('x64', 0x3e))).toBe('x86_64');
    expect(binaryArchitecture(tarballWithBinary('arm64', 0xb7))).toBe('arm64');
    expect(binaryArchitecture(tarballWithBinary('riscv', 0xf3))).toBeUndefined();
  });

  test('GIVEN a tarball checked by the build step WHEN the synth reads it THEN its recorded sha256; once changed or checked against another pin THEN nothing', () => {
    const root = mkdtempSync(join(work, 'root-'));
    const archivePath = runtimeArchivePath(root, 'arm64');
    mkdirSync(join(root, 'dist', 'runtime'), { recursive: true });
    writeFileSync(archivePath, 'a runtime');
    const stamp = (integrity: string) => {
      const { size, mtimeMs } = statSync(archivePath);
      writeFileSync(`${archivePath}.checked.json`, JSON.stringify({ integrity, sha256: 'd'.repeat(64), size, mtimeMs }));
    };
    expect(checkedRuntime(root, 'arm64')).toBeUndefined(); // never checked
    stamp(NODE_RUNTIME.packages.arm64.integrity);
    expect(checkedRuntime(root, 'arm64')).toEqual({ architecture: 'arm64', version: NODE_RUNTIME.version, archivePath, sha256: 'd'.repeat(64) });
    stamp(NODE_RUNTIME.packages.x86_64.integrity);
    expect(checkedRuntime(root, 'arm64')).toBeUndefined(); // checked against another pin
    stamp(NODE_RUNTIME.packages.arm64.integrity);
    appendFileSync(archivePath, '!');
    expect(checkedRuntime(root, 'arm64')).toBeUndefined(); // changed since
  });
});
