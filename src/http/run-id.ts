/** Run ids are the positive integers the run store allocates; anything else cannot name a run. */
export function parseRunId(raw: string): number | undefined {
  return /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : undefined;
}
