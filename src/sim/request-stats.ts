/** Requests served, counted by `verb resource` (e.g. `create jobs`), for benchmarks of API load. */
export interface RequestStats {
  total: number;
  byVerbResource: Record<string, number>;
}

export class RequestCounter {
  #total = 0;
  readonly #counts = new Map<string, number>();

  count(verb: string, resource: string): void {
    this.#total++;
    const key = `${verb} ${resource}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  snapshot(): RequestStats {
    return { total: this.#total, byVerbResource: Object.fromEntries(this.#counts) };
  }

  reset(): void {
    this.#total = 0;
    this.#counts.clear();
  }
}
