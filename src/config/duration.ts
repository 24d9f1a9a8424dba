const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TERM = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g;

/** What a duration looks like, for messages refusing one. */
export const DURATION_EXPECTED = 'a duration such as 30d, 12h, 15m, 90s or 500ms';

/**
 * ms of a duration with its unit: `500ms`, `90s`, `1.5m`, `12h`, `30d`, or a sum such as `1d12h`.
 * Undefined when the text is anything else (a bare number has no unit, so it is refused).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const terms = [...trimmed.matchAll(TERM)];
  if (terms.length === 0 || terms.map((term) => term[0]).join('') !== trimmed) return undefined;
  return terms.reduce((sum, term) => sum + Number(term[1]) * (UNIT_MS[term[2] as string] as number), 0);
}
