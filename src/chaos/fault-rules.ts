/**
 * Which faults the chaos proxy injects. A rule matches requests by verb and resource (omitted:
 * all) and fires on every matching request, on every Nth one (`every`), or with probability
 * `rate` drawn from a seeded generator, so a run with the same seed sees the same faults.
 */
export type Fault =
  | { fault: 'latency'; ms: number }
  | { fault: 'error'; code: 429 | 500 | 503 | 504; retryAfterSeconds?: number }
  | { fault: 'reset' }
  | { fault: 'cut-watch'; afterMs?: number; afterEvents?: number }
  | { fault: 'gone' };

export interface RuleMatch {
  verbs?: string[];
  resources?: string[];
  every?: number;
  rate?: number;
}

export type FaultRule = RuleMatch & Fault;

export interface FaultRules {
  seed?: number;
  rules: FaultRule[];
}

export const ERROR_CODES = [429, 500, 503, 504] as const;

/** Where the proxy takes its rules at runtime: GET shows them, PUT replaces them. */
export const ADMIN_PATH = '/_chaos/faults';

export class FaultRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRulesError';
  }
}

function positiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new FaultRulesError(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function nonNegative(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0))
    throw new FaultRulesError(`${what} must be a number ≥ 0, got ${JSON.stringify(value)}`);
  return value;
}

function stringList(value: unknown, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new FaultRulesError(`${what} must be a list of strings`);
  return value as string[];
}

/** Checks rules that came from outside (flags, a file, the admin endpoint) and returns them typed. */
export function validateFaultRules(input: unknown): FaultRules {
  const raw = (input ?? {}) as { seed?: unknown; rules?: unknown };
  if (!Array.isArray(raw.rules)) throw new FaultRulesError('"rules" must be a list');
  const seed = raw.seed === undefined ? undefined : Number(raw.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new FaultRulesError('"seed" must be an integer');
  const rules = raw.rules.map((item: unknown, index: number): FaultRule => {
    const rule = (item ?? {}) as Record<string, unknown>;
    const at = `rules[${index}]`;
    const match: RuleMatch = {};
    const verbs = stringList(rule['verbs'], `${at}.verbs`);
    const resources = stringList(rule['resources'], `${at}.resources`);
    const every = positiveInteger(rule['every'], `${at}.every`);
    const rate = nonNegative(rule['rate'], `${at}.rate`);
    if (rate !== undefined && rate > 1) throw new FaultRulesError(`${at}.rate must be between 0 and 1`);
    if (verbs) match.verbs = verbs;
    if (resources) match.resources = resources;
    if (every !== undefined) match.every = every;
    if (rate !== undefined) match.rate = rate;
    switch (rule['fault']) {
      case 'latency':
        return { ...match, fault: 'latency', ms: nonNegative(rule['ms'], `${at}.ms`) ?? 0 };
      case 'error': {
        const code = rule['code'];
        if (!ERROR_CODES.includes(code as (typeof ERROR_CODES)[number]))
          throw new FaultRulesError(`${at}.code must be one of ${ERROR_CODES.join(', ')}`);
        const retryAfterSeconds = positiveInteger(rule['retryAfterSeconds'], `${at}.retryAfterSeconds`);
        return {
          ...match,
          fault: 'error',
          code: code as (typeof ERROR_CODES)[number],
          ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
        };
      }
      case 'reset':
        return { ...match, fault: 'reset' };
      case 'gone':
        return { ...match, fault: 'gone' };
      case 'cut-watch': {
        const afterMs = nonNegative(rule['afterMs'], `${at}.afterMs`);
        const afterEvents = positiveInteger(rule['afterEvents'], `${at}.afterEvents`);
        if (afterMs === undefined && afterEvents === undefined)
          throw new FaultRulesError(`${at}: cut-watch needs afterMs or afterEvents`);
        return {
          ...match,
          fault: 'cut-watch',
          ...(afterMs !== undefined ? { afterMs } : {}),
          ...(afterEvents !== undefined ? { afterEvents } : {}),
        };
      }
      default:
        throw new FaultRulesError(`${at}.fault must be one of latency, error, reset, cut-watch, gone`);
    }
  });
  return seed === undefined ? { rules } : { seed, rules };
}
