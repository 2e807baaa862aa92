import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SiteService } from './site.service.js';

@Controller()
export class SiteController {
  constructor(private readonly site: SiteService) {}

  /** Express answers 304 itself when If-None-Match matches the ETag set here. */
  @Get()
  index(@Res() res: Response): void {
    const { html, etag, cacheControl } = this.site.page;
    res.set({ ETag: etag, 'Cache-Control': cacheControl }).type('html').send(html);
  }
}
