/**
 * Run variables are stored as strings (as Mage passes them to blocks): scalars are converted,
 * nested values refused, so what a run saw is exactly what `status` shows.
 */
export function variableValue(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export interface VariablesReading {
  variables: Record<string, string>;
  /** One message per refused entry. */
  problems: string[];
}

/** Variables of a JSON body (`{"variables": {...}}`). */
export function variablesFromObject(value: unknown, where: string): VariablesReading {
  const reading: VariablesReading = { variables: {}, problems: [] };
  if (value === undefined || value === null) return reading;
  if (typeof value !== 'object' || Array.isArray(value)) {
    reading.problems.push(`${where}: expected an object of names to strings, numbers or booleans`);
    return reading;
  }
  for (const [key, raw] of Object.entries(value)) {
    const text = variableValue(raw);
    if (text === undefined) reading.problems.push(`${where}.${key}: expected a string, number or boolean`);
    else reading.variables[key] = text;
  }
  return reading;
}

/** Variables of `--var k=v` options; the value may contain '=' itself. */
export function variablesFromAssignments(assignments: readonly string[]): VariablesReading {
  const reading: VariablesReading = { variables: {}, problems: [] };
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) reading.problems.push(`--var ${assignment}: expected NAME=VALUE`);
    else reading.variables[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  return reading;
}
