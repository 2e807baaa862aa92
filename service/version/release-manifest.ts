import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { RELEASE_MANIFEST_FILE } from '../../constants.js';

export const RELEASE_INFO = Symbol('RELEASE_INFO');

/** What `manifest.json` in a release directory says; written by scripts/build-release.ts. */
export const releaseManifestSchema = z.object({
  /** Content hash of everything the release was built from. */
  releaseId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Last git commit that touched those inputs, when the build ran in a git checkout. */
  commit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  /** The lowest Node.js version the release runs on: the runtime it was built and tested for. Instances refuse an older runtime. */
  minimumNodeVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** sha256 of every file in the release, by path relative to the release directory. */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

export interface ReleaseInfo {
  readonly releaseId: string;
  readonly commit: string | null;
}

/** Release id reported when the service runs from source rather than from a built release. */
export const DEVELOPMENT_RELEASE: ReleaseInfo = { releaseId: 'development', commit: null };

export function readReleaseInfo(releaseDir: string): ReleaseInfo {
  const path = join(releaseDir, RELEASE_MANIFEST_FILE);
  if (!existsSync(path)) return DEVELOPMENT_RELEASE;
  const parsed = releaseManifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${path} is not a valid release manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { releaseId: parsed.data.releaseId, commit: parsed.data.commit };
}
