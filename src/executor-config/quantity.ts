/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `1G`, `1e3`) parsed to numbers so that limits
 * can be compared across notations: `1Gi` is more than `1G`, `1000m` equals `1`.
 */

const SUFFIX_FACTORS: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

// The exponent form is tried first: `1E3` is a thousand, while `1E` alone is an exa.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The numeric value of a quantity, or undefined when the text is not a Kubernetes quantity. */
export function parseQuantity(text: string | number): number | undefined {
  const match = QUANTITY.exec(String(text).trim());
  if (!match) return undefined;
  const [, mantissa = '', exponent, suffix = ''] = match;
  const factor = exponent !== undefined ? 10 ** Number(exponent) : SUFFIX_FACTORS[suffix];
  return factor === undefined ? undefined : Number(mantissa) * factor;
}

export const QUANTITY_EXPECTATION = 'a Kubernetes quantity such as 500m, 2, 1.5, 512Mi, 1Gi, 1G or 1e3';
