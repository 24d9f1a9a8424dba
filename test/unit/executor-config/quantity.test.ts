import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../../src/executor-config/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5], ['2', 2], [2, 2], ['0.1', 0.1], ['.5', 0.5], ['1Gi', 2 ** 30], ['1G', 1e9], ['0.5Gi', 2 ** 29],
    ['1e3', 1000], ['1E3', 1000], ['1E', 1e18], ['512Mi', 512 * 2 ** 20], ['1k', 1000], ['1Ki', 1024], ['100n', 1e-7], ['+1', 1],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(['', 'abc', '1GB', '1 Gi', '1gi', 'Gi', '1.2.3', '1e', '--1'])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it('orders notations numerically', () => {
    const order = ['500m', '1', '1000m', '1e3', '1Ki'].map((q) => parseQuantity(q));
    expect(order).toEqual([0.5, 1, 1, 1000, 1024]);
    expect(parseQuantity('1Gi')! > parseQuantity('1G')!).toBe(true);
  });
});
