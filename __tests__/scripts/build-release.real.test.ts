import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { HTTP_PLATFORMS, NODE_RUNTIME, RELEASE_ENTRY_FILE, RELEASE_LICENSES_FILE, RELEASE_MANIFEST_FILE, releaseBundleFile } from '../../constants.js';
import { releaseManifestSchema } from '../../service/version/release-manifest.js';
import { buildRelease, type RunningRelease, startRelease } from '../../support/release-process.js';
import { pinnedNodeBinary } from '../../release/node-runtime.js';

let releaseDir: string;
beforeAll(() => {
  releaseDir = buildRelease({ TZ: 'UTC' });
});

describe('the built release', () => {
  test('carries the licence text of every package bundled into either bundle', () => {
    const licenses = readFileSync(join(releaseDir, RELEASE_LICENSES_FILE), 'utf8');
    // The packages the service imports directly, and ones only the platforms pull in.
    for (const name of ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', '@nestjs/platform-fastify', 'express', 'fastify', 'helmet', 'zod', 'rxjs', 'reflect-metadata']) {
      expect(licenses).toMatch(new RegExp(`^${name.replace('/', '\\/')}@\\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    }
    const count = Number(/: (\d+) packages\./.exec(licenses)?.[1]);
    expect(count).toBeGreaterThan(50);
    expect(licenses.match(/^\S+@\d+\.\d+\.\d+[^\n]* \(/gm)).toHaveLength(count);
    expect(licenses).toContain('Permission is hereby granted, free of charge');
  });

  test('holds the entry point, a bundle per platform, the static assets and a manifest with the sha256 of every file', () => {
    const manifest = releaseManifestSchema.parse(JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8')));
    const bundles = HTTP_PLATFORMS.map(releaseBundleFile);
    expect(Object.keys(manifest.files).sort()).toEqual([RELEASE_LICENSES_FILE, 'public/icon.svg', 'public/site.css', ...bundles.flatMap((bundle) => [bundle, `${bundle}.LEGAL.txt`]), RELEASE_ENTRY_FILE].sort());
    expect(manifest.minimumNodeVersion).toBe(NODE_RUNTIME.version);
    expect(readdirSync(releaseDir)).not.toContain('node_modules');
    for (const bundle of bundles) expect(statSync(join(releaseDir, bundle)).size).toBeGreaterThan(100_000);
    // The bound issue 14 sets on what each instance fetches.
    expect(statSync(`${releaseDir}.zip`).size).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  test("leaves out what the service never runs (release/bundle-plugins.ts): built-ins imported as ES modules, Nest's default adapter and multer", () => {
    for (const bundle of HTTP_PLATFORMS.map(releaseBundleFile)) {
      const text = readFileSync(join(releaseDir, bundle), 'utf8');
      // Only the banner's own import: every other built-in comes through require, so no ES module facade loads undici.
      const builtinImports = [...text.matchAll(/\bimport\s*(?:\{[^}]*\}|\*\s*as\s+\w+|\w+)\s*from\s*["']([^"']+)["']/g)].map((match) => match[1]).filter((name) => isBuiltin(name));
      expect({ bundle, builtinImports }).toEqual({ bundle, builtinImports: ['node:module'] });
    }
    const licenses = readFileSync(join(releaseDir, RELEASE_LICENSES_FILE), 'utf8');
    expect(licenses).not.toMatch(/^(multer|busboy)@/m);
  });

  test.each(HTTP_PLATFORMS)('the bundle of %s carries that platform alone: asked for another, it exits naming the entry point to start', (platform) => {
    const other = HTTP_PLATFORMS.find((name) => name !== platform)!;
    const run = spawnSync(pinnedNodeBinary(join(import.meta.dirname, '..', '..')), [join(releaseDir, releaseBundleFile(platform))], { env: { PORT: '0', IMDS_ENABLED: 'false', HTTP_PLATFORM: other }, encoding: 'utf8', timeout: 10_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${releaseBundleFile(platform)} carries the ${platform} platform only, not ${other}: start ${RELEASE_ENTRY_FILE}`);
  });

  test('keeps a whole release of the same inputs and commit as it is, and builds again when a file of it or the commit changed, or --force asks', () => {
    const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const build = (...args: string[]) => spawnSync(tsx, [join(import.meta.dirname, '..', '..', 'scripts', 'build-release.ts'), releaseDir, ...args], { encoding: 'utf8' });
    const { releaseId } = JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8'));
    const archiveWritten = () => statSync(`${releaseDir}.zip`).mtimeMs;
    const before = archiveWritten();
    // WHEN nothing changed THEN it says so and writes nothing
    expect(build().stdout.trim()).toMatch(new RegExp(`^release ${releaseId} -> \\S*release: up to date$`));
    expect(archiveWritten()).toBe(before);
    // WHEN a file of the release was changed THEN it builds again, and the file is as built
    const css = join(releaseDir, 'public', 'site.css');
    const built = readFileSync(css, 'utf8');
    writeFileSync(css, `${built}/* changed */\n`);
    expect(build().stdout).toMatch(new RegExp(`^release ${releaseId} -> .* \\(9 files`));
    expect(readFileSync(css, 'utf8')).toBe(built);
    // WHEN the manifest names another commit (the same inputs, committed since) THEN it builds again, naming the commit
    const manifestPath = join(releaseDir, RELEASE_MANIFEST_FILE);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, commit: '0'.repeat(40) }));
    expect(build().stdout).not.toContain('up to date');
    expect(JSON.parse(readFileSync(manifestPath, 'utf8')).commit).toBe(manifest.commit);
    // AND --force builds whatever is there
    expect(build('--force').stdout).not.toContain('up to date');
  }, 60_000);

  test('is reproducible: another build, in another directory and time zone, has the same manifest and archive bytes', () => {
    const again = buildRelease({ TZ: 'Asia/Tokyo' });
    expect(readFileSync(join(again, RELEASE_MANIFEST_FILE), 'utf8')).toBe(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8'));
    const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(sha256(`${again}.zip`)).toBe(sha256(`${releaseDir}.zip`));
  });
});

describe.each(HTTP_PLATFORMS)('the release running on plain node, on %s', (platform) => {
  let release: RunningRelease;
  const url = (path: string) => `http://127.0.0.1:${release.port}${path}`;
  beforeAll(async () => {
    release = await startRelease(releaseDir, { HTTP_PLATFORM: platform });
  });
  afterAll(() => {
    release.child.kill('SIGKILL');
  });

  test('serves the page', async () => {
    const res = await fetch(url('/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<h1>lorem ipsum</h1>');
  });

  test('serves /health and /version with the release id from its manifest', async () => {
    const manifest = JSON.parse(readFileSync(join(releaseDir, RELEASE_MANIFEST_FILE), 'utf8'));
    expect(await (await fetch(url('/health'))).json()).toEqual({ status: 'ok' });
    const version = await (await fetch(url('/version'))).json();
    expect(version).toMatchObject({ releaseId: manifest.releaseId, commit: manifest.commit, instanceId: null });
  });

  test('serves a static asset with cache headers', async () => {
    const res = await fetch(url('/static/site.css'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('etag')).toBeTruthy();
  });

  test('finishes a request in flight on SIGTERM, then exits 0', async () => {
    // GIVEN a request whose headers are still arriving (no route takes a body, so none is read)
    const socket = connect(release.port, '127.0.0.1');
    const response = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
    });
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));

    // WHEN systemd's SIGTERM arrives, and the headers complete afterwards (within the drain delay)
    release.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.end('\r\n');

    // THEN the request is answered (draining: /health says 503), the connection closes, and the process exits 0
    expect(await response).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*connection: close[\s\S]*\{"status":"shutting-down"\}$/i); // header names are case-insensitive
    expect(await release.exited).toBe(0);
    const events = release.lines().map((line) => (line.message as { event?: string }).event);
    expect(events).toContain('shutdown-finished');
  });
});

describe('the release refusing bad settings', () => {
  test('exits 78 and names the variable', () => {
    const run = spawnSync(pinnedNodeBinary(join(import.meta.dirname, '..', '..')), [join(releaseDir, RELEASE_ENTRY_FILE)], { env: { PORT: 'eighty' }, encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(78);
    expect(JSON.parse(run.stderr)).toEqual({ level: 'fatal', context: 'Config', message: 'invalid service configuration: PORT="eighty": must be a whole number between 0 and 65535' });
  });
});
