// App tier: each server serves the same lorem ipsum page (and, for the dynamic case, the same small
// JSON), driven by autocannon with the same concurrency, all on loopback:
//   - the old stack: Apache + mod_wsgi (a daemon process group) + Flask, as the old project ran it;
//   - ours, on each HTTP platform (Express, the default, and Fastify): Apache (with its page cache)
//     -> the service release's two workers, exactly as provisioned; the same without Apache's page
//     cache, to show what each part adds; the service direct, one worker, without Apache;
//   - for reference: Apache serving the page as a static file, and a bare node:http server.
// Median of RUNS interleaved runs (default 3) of BENCH_SECONDS each (default 8), CONNECTIONS (default 20).
// Needs the Debian packages apache2, libapache2-mod-wsgi-py3 and python3-flask (make deps).
// Usage: npm run bench:app-tier
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_PLATFORMS } from '../constants.js';
import { apacheBaseConfig, freePort, startSite, stopApache } from '../support/apache-site.js';
import { startLoad, type LoadResult } from '../support/load.js';
import { buildRelease, startRelease } from '../support/release-process.js';

const root = join(import.meta.dirname, '..');
const runs = Number(process.env.RUNS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.CONNECTIONS ?? 20);
const MOD_WSGI = '/usr/lib/apache2/modules/mod_wsgi.so';

for (const [what, present] of [
  ['apache2', spawnSync('apache2', ['-v']).status === 0],
  ['libapache2-mod-wsgi-py3', existsSync(MOD_WSGI)],
  ['python3-flask', spawnSync('python3', ['-c', 'import flask']).status === 0],
] as const) {
  if (!present) throw new Error(`${what} is missing; make deps installs it`);
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await fetch(url).then((res) => res.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never answered 200`);
}

/** The old project's way: Flask behind mod_wsgi's daemon mode, the page rendered from a Jinja template. */
async function startOldStack(page: string, json: string): Promise<{ port: number; apache: ChildProcess }> {
  const base = mkdtempSync(join(tmpdir(), 'old-stack-'));
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'templates'));
  writeFileSync(join(base, 'templates', 'index.html'), page);
  writeFileSync(join(base, 'version.json'), json);
  writeFileSync(
    join(base, 'app.wsgi'),
    [
      'import json, os',
      'from flask import Flask, jsonify, render_template',
      `here = ${JSON.stringify(base)}`,
      "application = Flask(__name__, template_folder=os.path.join(here, 'templates'))",
      'application.jinja_env.keep_trailing_newline = True  # the same bytes as the others',
      "VERSION = json.load(open(os.path.join(here, 'version.json')))",
      "@application.route('/')",
      'def index():',
      "    return render_template('index.html')",
      "@application.route('/version')",
      'def version():',
      '    return jsonify(VERSION)',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  writeFileSync(
    join(base, 'apache2.conf'),
    [
      ...apacheBaseConfig(base, base, ['mpm_event', 'authz_core', 'authz_host', 'mime']),
      `LoadModule wsgi_module ${MOD_WSGI}`,
      `Listen 127.0.0.1:${port}`,
      'ServerName old-stack',
      // An access log line per request, as ours writes (and as the old project's httpd.conf did).
      'LogFormat "%a %t \\"%r\\" %>s %B %D \\"%{Referer}i\\" \\"%{User-Agent}i\\"" webapp',
      `CustomLog ${base}/access.log webapp`,
      `WSGISocketPrefix ${base}/wsgi`,
      `WSGIDaemonProcess lorem processes=${cpus().length} threads=15 display-name=%{GROUP}`,
      'WSGIProcessGroup lorem',
      'WSGIApplicationGroup %{GLOBAL}',
      `WSGIScriptAlias / ${base}/app.wsgi`,
      `<Directory ${base}>`,
      '    Require all granted',
      '</Directory>',
      '',
    ].join('\n'),
  );
  const apache = spawn('apache2', ['-f', join(base, 'apache2.conf'), '-DFOREGROUND'], { env: { ...process.env, APACHE_RUN_DIR: base, APACHE_LOG_DIR: base }, stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/`);
  return { port, apache };
}

/** The floor for a Node server: node:http answering every request with the same bytes. */
async function startBareNode(page: string, json: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bare-node-'));
  writeFileSync(join(dir, 'page.html'), page);
  writeFileSync(join(dir, 'version.json'), json);
  const script = `
    const { readFileSync } = require('node:fs');
    const page = readFileSync(${JSON.stringify(join(dir, 'page.html'))});
    const json = readFileSync(${JSON.stringify(join(dir, 'version.json'))});
    require('node:http').createServer((req, res) => {
      const body = req.url === '/version' ? json : page;
      res.writeHead(200, { 'content-type': req.url === '/version' ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8', 'content-length': body.length });
      res.end(body);
    }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/`);
  return { port, child };
}

async function measure(url: string): Promise<LoadResult> {
  const load = startLoad(url, connections, seconds);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200));
  const result = await load.stop();
  if (result.failed > 0) throw new Error(`${url}: ${result.failed} failed requests (${JSON.stringify(result.statuses)})`);
  return result;
}

const release = buildRelease();
/** Ours on each platform (Express, the default, and Fastify), all started before the runs, all measured side by side. */
const platforms = [];
for (const platform of HTTP_PLATFORMS) {
  const serviceEnv = { HTTP_PLATFORM: platform };
  const ours = await startSite(release, { serviceEnv });
  const uncached = await startSite(release, { withoutPageCache: true, serviceEnv });
  const direct = await startRelease(join(ours.site.root, 'current'), { ...ours.site.serviceEnv, PORT: String(await freePort()) });
  platforms.push({ platform, ours, uncached, direct });
}
const [first] = platforms;
const page = await (await fetch(first.ours.url('/'))).text();
const json = await (await fetch(first.ours.url('/version'))).text();
writeFileSync(join(first.ours.site.root, 'current', 'public', 'page.html'), page);
const old = await startOldStack(page, json);
const bare = await startBareNode(page, json);
// Same bytes everywhere, or the comparison means nothing.
for (const url of [
  `http://127.0.0.1:${old.port}/`,
  ...platforms.flatMap(({ ours, uncached, direct }) => [ours.url('/'), uncached.url('/'), `http://127.0.0.1:${direct.port}/`]),
  first.ours.url('/static/page.html'),
  `http://127.0.0.1:${bare.port}/`,
]) {
  const body = await (await fetch(url)).text();
  if (body !== page) throw new Error(`${url} does not serve the same page (${body.length} bytes against ${page.length})`);
}

const subjects: Array<{ name: string; kind: 'page' | 'json'; url: string }> = [
  { name: 'old stack: Apache + mod_wsgi + Flask', kind: 'page', url: `http://127.0.0.1:${old.port}/` },
  ...platforms.flatMap(({ platform, ours, uncached, direct }) => [
    { name: `ours on ${platform}: Apache, with its page cache -> 2 service workers`, kind: 'page' as const, url: ours.url('/') },
    { name: `ours on ${platform} without Apache's page cache`, kind: 'page' as const, url: uncached.url('/') },
    { name: `the service on ${platform} direct (1 worker)`, kind: 'page' as const, url: `http://127.0.0.1:${direct.port}/` },
  ]),
  { name: 'reference: Apache, the page as a static file', kind: 'page', url: first.ours.url('/static/page.html') },
  { name: 'reference: bare node:http', kind: 'page', url: `http://127.0.0.1:${bare.port}/` },
  { name: 'old stack: Apache + mod_wsgi + Flask', kind: 'json', url: `http://127.0.0.1:${old.port}/version` },
  ...platforms.flatMap(({ platform, ours, direct }) => [
    { name: `ours on ${platform}: Apache -> 2 service workers (never cached: no-store)`, kind: 'json' as const, url: ours.url('/version') },
    { name: `the service on ${platform} direct (1 worker)`, kind: 'json' as const, url: `http://127.0.0.1:${direct.port}/version` },
  ]),
  { name: 'reference: bare node:http', kind: 'json', url: `http://127.0.0.1:${bare.port}/version` },
];
const results = new Map(subjects.map((subject) => [subject, [] as LoadResult[]]));
try {
  for (const subject of subjects) await measure(subject.url).catch(() => undefined); // warm-up, not counted
  for (let run = 0; run < runs; run++) {
    for (const subject of subjects) results.get(subject)!.push(await measure(subject.url));
  }
} finally {
  for (const { ours, uncached, direct } of platforms) {
    await ours.stop();
    await uncached.stop();
    direct.child.kill('SIGKILL');
  }
  await stopApache(old.apache);
  bare.child.kill('SIGKILL');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [
  `App tier on loopback: autocannon, ${connections} connections, ${seconds} s per run, median of ${runs} interleaved runs; ${cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  `Page: ${Buffer.byteLength(page)} bytes of HTML, the same bytes from every server; JSON: /version, ${Buffer.byteLength(json)} bytes.`,
  'Command: npm run bench:app-tier',
];
for (const kind of ['page', 'json'] as const) {
  const ofKind = subjects.filter((subject) => subject.kind === kind);
  const figures = ofKind.map((subject) => {
    const list = results.get(subject)!;
    return { name: subject.name, rps: median(list.map((r) => r.rps)), p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)) };
  });
  const baseline = figures[0];
  rows.push('', `| ${kind === 'page' ? 'the page (/)' : 'dynamic JSON (/version)'} | req/s | p50 ms | p99 ms | vs old stack |`, '| --- | ---: | ---: | ---: | ---: |');
  for (const figure of figures) rows.push(`| ${figure.name} | ${figure.rps} | ${figure.p50} | ${figure.p99} | ${(figure.rps / baseline.rps).toFixed(2)}x |`);
}
const table = rows.join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'app-tier.md'), `${table}\n`);
