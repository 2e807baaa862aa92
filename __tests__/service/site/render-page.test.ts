import { describe, expect, test } from '@jest/globals';
import { PAGE_TITLE, PARAGRAPHS } from '../../../service/site/lorem-ipsum.js';
import { escapeHtml, renderPage } from '../../../service/site/render-page.js';

describe('renderPage', () => {
  const html = renderPage({ title: PAGE_TITLE, paragraphs: PARAGRAPHS, stylesheetHref: '/static/site.css?v=1', iconHref: '/static/icon.svg?v=1' });

  test('renders five paragraphs of lorem ipsum under the title "lorem ipsum"', () => {
    expect(html).toContain('<title>lorem ipsum</title>');
    expect(html).toContain('<h1>lorem ipsum</h1>');
    expect(html.match(/<p>/g)).toHaveLength(5);
    expect(html).toContain('<p>Lorem ipsum dolor sit amet');
  });

  test('links the versioned stylesheet', () => {
    expect(html).toContain('<link rel="stylesheet" href="/static/site.css?v=1">');
  });

  test('escapes text and attributes', () => {
    const page = renderPage({ title: '<b>', paragraphs: ['a & "b"'], stylesheetHref: '/x?a=1&b="2"', iconHref: '/i' });
    expect(page).toContain('<title>&lt;b&gt;</title>');
    expect(page).toContain('<p>a &amp; &quot;b&quot;</p>');
    expect(page).toContain('href="/x?a=1&amp;b=&quot;2&quot;"');
  });

  test('escapeHtml leaves plain text alone', () => {
    expect(escapeHtml('lorem ipsum')).toBe('lorem ipsum');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});
