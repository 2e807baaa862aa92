import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { strToU8, zipSync } from 'fflate';
import type { EnvironmentConfig } from '../config/load-config.js';
import { NODE_RUNTIME } from '../constants.js';
import { instanceArchitecture } from '../common/instance-architecture.js';
import { type BuiltRuntime, type RuntimeArchitecture, runtimeFileName } from '../release/node-runtime.js';
import type { BuiltRelease } from '../stacks/web-app-stack.js';

// Synthesized Terraform is untyped JSON; tests read it as such.
// biome-ignore lint/suspicious/noExplicitAny: JSON
export type Json = any;

/** Synthesizes what `build` adds to a fresh stack and returns the Terraform JSON. */
export function synthScope(build: (scope: Construct) => void): Json {
  return JSON.parse(Testing.synthScope(build));
}

/** The resources of one type, by their logical name. */
export function resourcesOf(synthesized: Json, type: string): Record<string, Json> {
  return synthesized.resource?.[type] ?? {};
}

/** The single resource of a type; fails when there is not exactly one. */
export function onlyResource(synthesized: Json, type: string): Json {
  const found = Object.values(resourcesOf(synthesized, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

export function dataOf(synthesized: Json, type: string): Record<string, Json> {
  return synthesized.data?.[type] ?? {};
}

/** A tiny release archive with fixed bytes, so snapshots do not change with the service. */
export function fixtureRelease(): BuiltRelease {
  const archivePath = join(mkdtempSync(join(tmpdir(), 'fixture-release-')), 'release.zip');
  const mtime = new Date(1980, 0, 1);
  writeFileSync(archivePath, zipSync({ 'server.mjs': [strToU8('// fixture release\n'), { mtime }] }));
  return { archivePath, releaseId: '0123456789abcdef', minimumNodeVersion: NODE_RUNTIME.version };
}

/** A stand-in runtime tarball with fixed bytes (the stacks upload it; main.ts checks a real one's sha512), for `architecture`. */
export function fixtureRuntime(architecture: RuntimeArchitecture): BuiltRuntime {
  const archivePath = join(mkdtempSync(join(tmpdir(), 'fixture-runtime-')), runtimeFileName(architecture));
  const content = `fixture node ${architecture}\n`;
  writeFileSync(archivePath, content);
  return { architecture, version: NODE_RUNTIME.version, archivePath, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The release and the runtime of `environment`'s architecture, as main.ts passes them to a WebAppStack. */
export function fixtureArtifacts(environment: EnvironmentConfig): { release: BuiltRelease; runtime: BuiltRuntime } {
  return { release: fixtureRelease(), runtime: fixtureRuntime(instanceArchitecture(environment.settings.fleet.instanceType)!) };
}
