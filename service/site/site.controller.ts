import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fresh from 'fresh';
import { SiteService } from './site.service.js';

@Controller()
export class SiteController {
  constructor(private readonly site: SiteService) {}

  /** 304 without a body when the client's If-None-Match still matches (the `fresh` rules Express uses). */
  @Get()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { html, etag, cacheControl } = this.site.page;
    reply.header('ETag', etag).header('Cache-Control', cacheControl);
    if (fresh(request.headers, { etag })) {
      reply.code(304).send();
      return;
    }
    reply.type('text/html; charset=utf-8').send(html);
  }
}
