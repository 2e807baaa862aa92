// The create order AWS needs, read from the synthesized JSON's references and depends_on.
import { describe, expect, test } from '@jest/globals';
import { ORDER_RULES } from './create-order.js';
import { DependencyGraph } from './graph.js';
import { WEB_APP_STACKS } from './stacks.js';

describe.each(ORDER_RULES.map((rule) => [rule.rule, rule] as const))('create order: %s', (_name, rule) => {
  test.each(WEB_APP_STACKS)(`%s (source: ${rule.source})`, (_label, json) => {
    const graph = new DependencyGraph(json);
    const unordered = rule.pairs(json).filter(([from, to]) => !graph.waitsFor(from, to));
    expect(unordered).toEqual([]);
  });

  test('applies to at least one stack', () => {
    expect(WEB_APP_STACKS.some(([, json]) => rule.pairs(json).length > 0)).toBe(true);
  });
});

describe('create order: coverage', () => {
  test('the dev, prod and maximal stacks build their own network; prod and maximal log access', () => {
    const applying = (index: number) => WEB_APP_STACKS.filter(([, json]) => ORDER_RULES[index].pairs(json).length > 0).map(([label]) => label);
    expect(applying(0)).toEqual(['repository/webapp-dev', 'repository/webapp-prod', 'maximal/webapp-everything']);
    expect(applying(1)).toEqual(['repository/webapp-prod', 'maximal/webapp-everything']);
    expect(applying(4)).toHaveLength(WEB_APP_STACKS.length);
  });
});
