/**
 * `text` with its one occurrence of `from` replaced by `to`. Throws, naming `what`, when `from` does
 * not occur exactly once: a test that edits a source file must never go on with an edit that did not
 * take (a renamed line would otherwise turn the test into one about nothing).
 */
export function replacedOnce(text: string, from: string | RegExp, to: string, what: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : [...text.matchAll(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`))].length;
  if (count !== 1) throw new Error(`cannot edit ${what}: expected one ${String(from)}, found ${count}`);
  return text.replace(from, to);
}
