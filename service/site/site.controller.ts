import type { IncomingHttpHeaders } from 'node:http';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import fresh from 'fresh';
import type { ServiceResponse } from '../platform/http-platform.js';
import { SiteService } from './site.service.js';

@Controller()
export class SiteController {
  constructor(private readonly site: SiteService) {}

  /** 304 without a body when the client's If-None-Match still matches (the `fresh` rules Express uses). */
  @Get()
  index(@Headers() headers: IncomingHttpHeaders, @Res({ passthrough: true }) response: ServiceResponse): string | undefined {
    const { html, etag, cacheControl } = this.site.page;
    response.header('ETag', etag);
    response.header('Cache-Control', cacheControl);
    if (fresh(headers, { etag })) {
      response.status(304);
      return undefined;
    }
    response.header('Content-Type', 'text/html; charset=utf-8');
    return html;
  }
}
