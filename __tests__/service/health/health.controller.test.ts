import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { LifecycleService } from '../../../service/lifecycle/lifecycle.service.js';
import { HTTP_PLATFORMS, startTestApp, testConfig } from '../test-app.js';

describe.each(HTTP_PLATFORMS)('GET /health, on %s', (platform) => {
  let app: INestApplication;
  beforeAll(async () => ({ app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }))));
  afterAll(() => app.close());

  test('answers 200 with JSON while serving, never cached', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('answers 503 once shutdown has begun', async () => {
    // GIVEN a serving app WHEN shutdown begins THEN health turns 503 and the page still serves
    app.get(LifecycleService).beginShutdown();
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body).toEqual({ status: 'shutting-down' });
    await request(app.getHttpServer()).get('/').expect(200);
  });
});
