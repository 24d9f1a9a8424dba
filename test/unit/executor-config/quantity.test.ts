import { describe, expect, it } from 'vitest';
import { parseQuantity, sameQuantity } from '../../../src/executor-config/quantity.ts';

/** Values in nano-units, the exact form parseQuantity returns. */
const UNIT = 10n ** 9n;

describe('parseQuantity', () => {
  it.each([
    ['500m', UNIT / 2n],
    ['2', 2n * UNIT],
    [2, 2n * UNIT],
    ['0.1', UNIT / 10n],
    ['.5', UNIT / 2n],
    ['1.', UNIT],
    ['1Gi', 2n ** 30n * UNIT],
    ['1G', 10n ** 9n * UNIT],
    ['0.5Gi', 2n ** 29n * UNIT],
    ['1e3', 1000n * UNIT],
    ['1E3', 1000n * UNIT],
    ['1E', 10n ** 18n * UNIT],
    ['512Mi', 512n * 2n ** 20n * UNIT],
    ['1k', 1000n * UNIT],
    ['1Ki', 1024n * UNIT],
    ['100n', 100n],
    ['+1', UNIT],
    ['-1', -UNIT],
    ['1e-3', UNIT / 1000n],
    ['1.5e2', 150n * UNIT],
    ['0', 0n],
    ['0Gi', 0n],
  ])('%s is %d nano-units', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it.each(['', 'abc', '1GB', '1 Gi', '1gi', 'Gi', '1.2.3', '1e', '--1', '.', '1e3Ki'])(
    '%j is not a quantity',
    (text) => {
      expect(parseQuantity(text)).toBeUndefined();
    },
  );

  it('rounds up to a whole nano-unit and caps at 2^63-1 units, as the API server does', () => {
    expect(parseQuantity('1e-12')).toBe(1n);
    expect(parseQuantity('1.5n')).toBe(2n);
    expect(parseQuantity('1e-999999999')).toBe(1n);
    expect(parseQuantity('1e999999999')).toBe((2n ** 63n - 1n) * UNIT);
    expect(parseQuantity('8Ei')).toBe((2n ** 63n - 1n) * UNIT);
  });

  it('orders notations exactly', () => {
    const order = ['500m', '1', '1000m', '1e3', '1Ki'].map((q) => parseQuantity(q)!);
    expect(order).toEqual([UNIT / 2n, UNIT, UNIT, 1000n * UNIT, 1024n * UNIT]);
    expect(parseQuantity('1Gi')! > parseQuantity('1G')!).toBe(true);
    expect(parseQuantity('701m')! > parseQuantity('0.7')!).toBe(true);
    expect(parseQuantity('699m')! < parseQuantity('0.7')!).toBe(true);
    expect(parseQuantity('1000000001n')! > parseQuantity('1')!).toBe(true);
  });
});

describe('sameQuantity', () => {
  // Floating point put 564 of these pairs apart (700 × 0.001 is 0.7000000000000001).
  it('equates every n milli-units with its decimal, n = 1..4000', () => {
    const unequal = Array.from({ length: 4000 }, (_, i) => i + 1).filter(
      (n) => !sameQuantity(`${n}m`, String(n / 1000)),
    );
    expect(unequal).toEqual([]);
  });

  it.each([
    ['1024Mi', '1Gi'],
    ['0.5', '500m'],
    ['1e3', '1k'],
    ['1E3', '1000'],
    ['1.5Gi', '1536Mi'],
    ['1Ki', '1024'],
    ['1M', '1000k'],
    ['1u', '1000n'],
    ['2', 2],
    ['0.001', '1m'],
    ['1E', '1000P'],
    ['1Ei', '1024Pi'],
  ])('%s is %s', (a, b) => {
    expect(sameQuantity(a, b)).toBe(true);
  });

  it.each([
    ['1Gi', '1G'],
    ['0.7', '701m'],
    ['1', 'one'],
    ['1', undefined],
    [undefined, undefined],
    [{ a: 1 }, { a: 1 }],
  ])('%j is not %j', (a, b) => {
    expect(sameQuantity(a, b)).toBe(false);
  });
});
