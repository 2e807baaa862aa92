export interface PageContent {
  readonly title: string;
  readonly paragraphs: readonly string[];
  /** URL of the stylesheet, versioned so that a long cache lifetime is safe. */
  readonly stylesheetHref: string;
  readonly iconHref: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

export function renderPage(content: PageContent): string {
  const title = escapeHtml(content.title);
  const paragraphs = content.paragraphs.map((text) => `    <p>${escapeHtml(text)}</p>`).join('\n');
  return `<!doctype html>
<html lang="la">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="${escapeHtml(content.stylesheetHref)}">
  <link rel="icon" href="${escapeHtml(content.iconHref)}" type="image/svg+xml">
</head>
<body>
  <main>
    <h1>${title}</h1>
${paragraphs}
  </main>
</body>
</html>
`;
}
