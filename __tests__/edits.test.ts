import { describe, expect, test } from '@jest/globals';
import { replacedOnce } from './edits.js';

describe('replacedOnce', () => {
  test('replaces the one occurrence', () => {
    expect(replacedOnce('internal: false,\n', 'internal: false,', 'internal: true,', 'the load balancer')).toBe('internal: true,\n');
    expect(replacedOnce('permissions:\n  contents: read\njobs:\n', /^permissions:\n(  .*\n)+/m, 'permissions: write-all\n', 'the workflow')).toBe('permissions: write-all\njobs:\n');
  });

  test('refuses an edit that would not take, or would take twice, naming what it edits', () => {
    expect(() => replacedOnce('internal: true,', 'internal: false,', 'x', 'the load balancer')).toThrow('cannot edit the load balancer: expected one internal: false,, found 0');
    expect(() => replacedOnce('a a', 'a', 'b', 'the text')).toThrow('found 2');
  });
});
