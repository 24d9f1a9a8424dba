/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `1G`, `1e3`) parsed to exact integers so that
 * limits can be compared across notations: `1Gi` is more than `1G`, `1000m` equals `1`, `700m`
 * equals `0.7`. Floating point cannot do this (700 × 0.001 is not 0.7), so the value is kept as a
 * BigInt count of nano-units, which is also the API server's own precision: it rounds a quantity up
 * to a whole nano-unit and caps it at 2^63-1 units, and so does this.
 */

const NANO_DIGITS = 9;
const MAX_NANO_UNITS = (2n ** 63n - 1n) * 10n ** BigInt(NANO_DIGITS);
/** 10^41 nano-units is above the cap whatever the mantissa (at least 1), so larger powers are not computed. */
const POWER_ABOVE_CAP = 41;

const DECIMAL_SUFFIX_POWERS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX_POWERS: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

// The exponent form is tried first: `1E3` is a thousand, while `1E` alone is an exa.
const QUANTITY = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The value of a quantity in nano-units (`1` is 10^9, `1m` is 10^6), or undefined when the text is not a Kubernetes quantity. */
export function parseQuantity(text: string | number): bigint | undefined {
  const match = QUANTITY.exec(String(text).trim());
  if (!match) return undefined;
  const [, sign, whole = '', wholeFraction, bareFraction, exponent, suffix = ''] = match;
  const fraction = wholeFraction ?? bareFraction ?? '';
  const digits = BigInt(`${whole}${fraction}` || '0');
  const power10 =
    NANO_DIGITS - fraction.length + (exponent !== undefined ? Number(exponent) : (DECIMAL_SUFFIX_POWERS[suffix] ?? 0));
  const magnitude = scaleUp(
    digits * 2n ** BigInt(BINARY_SUFFIX_POWERS[suffix] ?? 0),
    power10,
    fraction.length + whole.length,
  );
  const capped = magnitude > MAX_NANO_UNITS ? MAX_NANO_UNITS : magnitude;
  return sign === '-' ? -capped : capped;
}

/** `value × 10^power`, rounded up to a whole number (away from zero, as the API server rounds). */
function scaleUp(value: bigint, power: number, digitCount: number): bigint {
  if (value === 0n) return 0n;
  if (power >= POWER_ABOVE_CAP) return MAX_NANO_UNITS + 1n;
  if (power >= 0) return value * 10n ** BigInt(power);
  // value < 10^digitCount × 2^60 < 10^(digitCount + 19): below one nano-unit, without building a huge divisor.
  if (-power > digitCount + 19) return 1n;
  const divisor = 10n ** BigInt(-power);
  return (value + divisor - 1n) / divisor;
}

/** Whether two texts are the same quantity in any notation (`1Gi` and `1024Mi`, `0.5` and `500m`). */
export function sameQuantity(a: unknown, b: unknown): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number'))
    return false;
  const left = parseQuantity(a);
  return left !== undefined && left === parseQuantity(b);
}

export const QUANTITY_EXPECTATION = 'a Kubernetes quantity such as 500m, 2, 1.5, 512Mi, 1Gi, 1G or 1e3';
