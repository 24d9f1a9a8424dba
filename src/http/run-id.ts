/**
 * Run ids are the positive integers the run store allocates; anything else cannot name a run. Only safe
 * integers: a larger one would be read as a neighbouring number, here and in the pages' scripts.
 */
export function parseRunId(raw: string): number | undefined {
  if (!/^[1-9]\d*$/.test(raw)) return undefined;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : undefined;
}
