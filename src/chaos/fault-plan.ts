import type { Fault, FaultRule, FaultRules } from './fault-rules.ts';

/** mulberry32: a tiny seeded generator, enough to make `rate` rules repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The faults chosen for one request: total added latency, at most one failure, and a watch cut. */
export interface RequestFaults {
  latencyMs: number;
  failure?: Extract<Fault, { fault: 'error' | 'reset' | 'gone' }>;
  cut?: Extract<Fault, { fault: 'cut-watch' }>;
}

/** Decides, request by request, which rules fire; counters and the generator restart with new rules. */
export class FaultPlan {
  readonly #source: FaultRules;
  readonly #rules: FaultRule[];
  readonly #counters: number[];
  readonly #random: () => number;

  constructor(rules: FaultRules) {
    this.#source = rules;
    this.#rules = rules.rules;
    this.#counters = rules.rules.map(() => 0);
    this.#random = seededRandom(rules.seed ?? Date.now());
  }

  get rules(): FaultRules {
    return this.#source;
  }

  decide(verb: string, resource: string): RequestFaults {
    const decision: RequestFaults = { latencyMs: 0 };
    this.#rules.forEach((rule, index) => {
      if (rule.verbs && !rule.verbs.includes(verb)) return;
      if (rule.resources && !rule.resources.includes(resource)) return;
      if ((rule.fault === 'gone' || rule.fault === 'cut-watch') && verb !== 'watch') return;
      const count = ++this.#counters[index]!;
      const fires =
        rule.every !== undefined
          ? count % rule.every === 0
          : rule.rate !== undefined
            ? this.#random() < rule.rate
            : true;
      if (!fires) return;
      if (rule.fault === 'latency') decision.latencyMs += rule.ms;
      else if (rule.fault === 'cut-watch') decision.cut ??= rule;
      else decision.failure ??= rule;
    });
    return decision;
  }
}
