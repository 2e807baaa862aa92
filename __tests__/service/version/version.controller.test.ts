import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { InstanceMetadataService } from '../../../service/version/instance-metadata.service.js';
import { HTTP_PLATFORMS, startTestApp, testConfig } from '../test-app.js';

const TOKEN = 'token-123';

/** Speaks the IMDSv2 protocol on loopback: a PUT for a token, then GETs that must carry it. */
function imdsHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
    res.end(TOKEN);
    return;
  }
  if (req.method !== 'GET' || req.headers['x-aws-ec2-metadata-token'] !== TOKEN) {
    res.statusCode = 401;
    res.end();
    return;
  }
  const values: Record<string, string> = {
    '/latest/meta-data/instance-id': 'i-0123456789abcdef0',
    '/latest/meta-data/placement/availability-zone': 'eu-west-1b',
  };
  res.statusCode = values[req.url ?? ''] ? 200 : 404;
  res.end(values[req.url ?? '']);
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.each(HTTP_PLATFORMS)('GET /version, on %s', (platform) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function appWith(env: NodeJS.ProcessEnv) {
    const { app } = await startTestApp(testConfig({ ...env, HTTP_PLATFORM: platform }));
    cleanups.push(() => app.close());
    return app as INestApplication;
  }

  test('reports the release, uptime and no instance when metadata lookups are off', async () => {
    const app = await appWith({});
    const res = await request(app.getHttpServer()).get('/version').expect(200);
    expect(res.body).toEqual({ releaseId: 'development', commit: null, uptimeSeconds: expect.any(Number), instanceId: null, availabilityZone: null });
    expect(res.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('reports the instance id and zone fetched through IMDSv2', async () => {
    const imds = await listen(imdsHandler);
    cleanups.push(() => new Promise((resolve) => imds.server.close(resolve)));
    const app = await appWith({ IMDS_ENABLED: 'true', IMDS_ENDPOINT: imds.url });
    await app.get(InstanceMetadataService).settled();
    const res = await request(app.getHttpServer()).get('/version').expect(200);
    expect(res.body).toMatchObject({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b' });
  });

  test('reports the instance id and zone from its settings, and never asks the metadata service', async () => {
    const asked: string[] = [];
    const imds = await listen((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      imdsHandler(req, res);
    });
    cleanups.push(() => new Promise((resolve) => imds.server.close(resolve)));
    const app = await appWith({ INSTANCE_ID: 'i-0fedcba9876543210', AVAILABILITY_ZONE: 'eu-west-1c', IMDS_ENABLED: 'true', IMDS_ENDPOINT: imds.url });
    await app.get(InstanceMetadataService).settled();
    const res = await request(app.getHttpServer()).get('/version').expect(200);
    expect(res.body).toMatchObject({ instanceId: 'i-0fedcba9876543210', availabilityZone: 'eu-west-1c' });
    expect(asked).toEqual([]);
  });

  test('answers at once with nulls while the metadata service hangs, and gives up after its timeout', async () => {
    const pending: ServerResponse[] = [];
    const imds = await listen((_req, res) => void pending.push(res));
    cleanups.push(() => new Promise((resolve) => { imds.server.closeAllConnections(); imds.server.close(resolve); }));
    const app = await appWith({ IMDS_ENABLED: 'true', IMDS_ENDPOINT: imds.url, IMDS_TIMEOUT_MS: '2000' });

    // Well before the metadata lookup gives up (a margin that a loaded CI machine keeps).
    const startedAt = Date.now();
    const res = await request(app.getHttpServer()).get('/version').expect(200);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(pending).toHaveLength(1);
    expect(res.body).toMatchObject({ instanceId: null, availabilityZone: null });

    await app.get(InstanceMetadataService).settled();
    expect(app.get(InstanceMetadataService).current()).toBeNull();
  });

  test('reports nulls when the metadata service refuses the token', async () => {
    const imds = await listen((_req, res) => { res.statusCode = 403; res.end(); });
    cleanups.push(() => new Promise((resolve) => imds.server.close(resolve)));
    const app = await appWith({ IMDS_ENABLED: 'true', IMDS_ENDPOINT: imds.url });
    await app.get(InstanceMetadataService).settled();
    const res = await request(app.getHttpServer()).get('/version').expect(200);
    expect(res.body).toMatchObject({ instanceId: null, availabilityZone: null });
  });
});
