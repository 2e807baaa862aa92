import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PAGE_MAX_AGE_SECONDS, PAGE_SHARED_MAX_AGE_SECONDS, STATIC_URL_PREFIX } from '../../constants.js';
import { RELEASE_INFO, type ReleaseInfo } from '../version/release-manifest.js';
import { PAGE_TITLE, PARAGRAPHS } from './lorem-ipsum.js';
import { renderPage } from './render-page.js';

export interface RenderedPage {
  readonly html: string;
  /** Strong validator: the page only changes with the release. */
  readonly etag: string;
  readonly cacheControl: string;
}

/** Renders the page once at boot; every request then serves the same bytes. */
@Injectable()
export class SiteService {
  readonly page: RenderedPage;

  constructor(@Inject(RELEASE_INFO) release: ReleaseInfo) {
    const version = encodeURIComponent(release.releaseId);
    const html = renderPage({
      title: PAGE_TITLE,
      paragraphs: PARAGRAPHS,
      stylesheetHref: `${STATIC_URL_PREFIX}/site.css?v=${version}`,
      iconHref: `${STATIC_URL_PREFIX}/icon.svg?v=${version}`,
    });
    this.page = {
      html,
      etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`,
      cacheControl: `public, max-age=${PAGE_MAX_AGE_SECONDS}, s-maxage=${PAGE_SHARED_MAX_AGE_SECONDS}`,
    };
  }
}
