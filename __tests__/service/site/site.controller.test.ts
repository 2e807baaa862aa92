import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HTTP_PLATFORMS, startTestApp, testConfig } from '../test-app.js';

describe.each(HTTP_PLATFORMS)('GET /, on %s', (platform) => {
  let app: INestApplication;
  beforeAll(async () => ({ app } = await startTestApp(testConfig({ HTTP_PLATFORM: platform }))));
  afterAll(() => app.close());

  test('serves the lorem ipsum page as HTML with its stylesheet', async () => {
    const res = await request(app.getHttpServer()).get('/').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<h1>lorem ipsum</h1>');
    expect(res.text.match(/<p>/g)).toHaveLength(5);
    expect(res.text).toContain('href="/static/site.css?v=development"');
  });

  test('carries a strong ETag and a cache lifetime', async () => {
    const res = await request(app.getHttpServer()).get('/').expect(200);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers['cache-control']).toBe('public, max-age=60, s-maxage=1');
  });

  test('answers 304 without a body when the ETag matches', async () => {
    const { headers } = await request(app.getHttpServer()).get('/').expect(200);
    const res = await request(app.getHttpServer()).get('/').set('If-None-Match', headers.etag).expect(304);
    expect(res.text).toBe('');
  });

  test('answers 200 when the ETag is stale', async () => {
    await request(app.getHttpServer()).get('/').set('If-None-Match', '"stale"').expect(200);
  });
});
