import { FaultRulesError, validateFaultRules, type FaultRules } from './fault-rules.ts';

const LIST_KEYS = new Set(['verbs', 'resources']);

/**
 * Reads a rule written on the command line: `kind[:key=value,...]`, lists joined with `+`, e.g.
 * `error:code=429,retryAfterSeconds=2,every=3,verbs=create,resources=jobs` or `latency:ms=200`.
 */
export function parseFaultSpec(spec: string): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const fault = colon === -1 ? spec : spec.slice(0, colon);
  const rule: Record<string, unknown> = { fault };
  if (colon === -1) return rule;
  for (const pair of spec.slice(colon + 1).split(',')) {
    const equals = pair.indexOf('=');
    if (equals < 1) throw new FaultRulesError(`"${pair}" in "${spec}" is not key=value`);
    const key = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    rule[key] = LIST_KEYS.has(key) ? value.split('+') : Number.isNaN(Number(value)) ? value : Number(value);
  }
  return rule;
}

export function faultRulesFromSpecs(
  specs: string[],
  seed: number | undefined,
  base: FaultRules = { rules: [] },
): FaultRules {
  return validateFaultRules({ seed: seed ?? base.seed, rules: [...base.rules, ...specs.map(parseFaultSpec)] });
}
