/**
 * Trigger variables are stored as strings (triggers.yaml scalars converted, nested values refused),
 * so what a run saw is exactly what `status` shows.
 */
export function variableValue(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export interface VariablesReading {
  /** Any JSON values, as Mage keeps them (`pipeline_run.variables` is a JSON column). */
  variables: Record<string, unknown>;
  /** One message per refused entry. */
  problems: string[];
}

/** Variables of a JSON body (`{"variables": {...}}`): an object whose values may be any JSON, nested ones included. */
export function variablesFromObject(value: unknown, where: string): VariablesReading {
  if (value === undefined || value === null) return { variables: {}, problems: [] };
  if (typeof value !== 'object' || Array.isArray(value))
    return { variables: {}, problems: [`${where}: expected an object of names to JSON values`] };
  // Spread copies keys as own properties, so a "__proto__" key from JSON stays an ordinary variable.
  return { variables: { ...(value as Record<string, unknown>) }, problems: [] };
}

/** `v` of `--var k=v`: its JSON value when it is valid JSON (`5`, `true`, `{"a":1}`, `"5"`), else the text itself. */
function assignedValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Variables of `--var k=v` options; the value may contain '=' itself. */
export function variablesFromAssignments(assignments: readonly string[]): VariablesReading {
  const entries: [string, unknown][] = [];
  const problems: string[] = [];
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) problems.push(`--var ${assignment}: expected NAME=VALUE`);
    else entries.push([assignment.slice(0, at), assignedValue(assignment.slice(at + 1))]);
  }
  // fromEntries defines own properties: a "__proto__" name is an ordinary variable; a later --var wins.
  return { variables: Object.fromEntries(entries), problems };
}
