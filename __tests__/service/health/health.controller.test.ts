import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { LifecycleService } from '../../../service/lifecycle/lifecycle.service.js';
import { startTestApp } from '../test-app.js';

describe('GET /health', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => ({ app } = await startTestApp()));
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
