/**
 * The soak's own account of Jobs, kept from the HTTP exchanges a recording proxy saw between
 * the chaos proxy and the simulated cluster, so it owes nothing to kubedispatch's own records:
 * every Job create and delete with the API server's answer, and a tally of every request.
 */
import { LABEL_PREFIX } from '../../src/render/identity.ts';

export interface JobCreation {
  namespace: string;
  name: string;
  uid: string;
  /** The Job's kubedispatch identity labels (run, block run, attempt, instance…), as one comparable key. */
  identity: string;
  labels: Record<string, string>;
  at: number;
}

export interface Duplicate {
  /** `name`: the same Job name created twice; `identity`: two Jobs for one block run and attempt. */
  kind: 'name' | 'identity';
  key: string;
  uids: string[];
}

const jobKey = (namespace: string, name: string): string => `${namespace}/${name}`;

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function metadataOf(object: Record<string, unknown> | undefined): {
  name?: string;
  uid?: string;
  labels: Record<string, string>;
} {
  const metadata = (object?.['metadata'] ?? {}) as { name?: unknown; uid?: unknown; labels?: unknown };
  const labels =
    metadata.labels !== null && typeof metadata.labels === 'object' ? (metadata.labels as Record<string, string>) : {};
  return {
    ...(typeof metadata.name === 'string' ? { name: metadata.name } : {}),
    ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
    labels,
  };
}

/** The labels kubedispatch puts on a Job to say whose it is; any label it adds later is included. */
export function identityKey(labels: Readonly<Record<string, string>>): string {
  const own = Object.entries(labels)
    .filter(([key]) => key.startsWith(`${LABEL_PREFIX}/`))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(own);
}

export class JobLedger {
  readonly #creations: JobCreation[] = [];
  /** Created and not deleted since, by namespace/name. */
  readonly #live = new Map<string, JobCreation>();
  readonly #refused: { namespace: string; name: string; status: number }[] = [];
  readonly #tally = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts one request by verb, resource and the status it was answered with. */
  count(verb: string, resource: string, status: number | 'aborted'): void {
    const key = `${verb} ${resource} ${status}`;
    this.#tally.set(key, (this.#tally.get(key) ?? 0) + 1);
  }

  /** A Job create the API server answered: only a 201 (or 200) created a Job. */
  recordCreate(namespace: string, requestBody: string, status: number, responseBody: string): void {
    this.count('create', 'jobs', status);
    const requested = metadataOf(parseJson(requestBody));
    const answered = metadataOf(parseJson(responseBody));
    const name = answered.name ?? requested.name ?? '';
    if (status !== 200 && status !== 201) {
      this.#refused.push({ namespace, name, status });
      return;
    }
    const labels = Object.keys(answered.labels).length > 0 ? answered.labels : requested.labels;
    const creation = {
      namespace,
      name,
      uid: answered.uid ?? `unknown-${this.#creations.length}`,
      identity: identityKey(labels),
      labels,
      at: this.#now(),
    };
    this.#creations.push(creation);
    this.#live.set(jobKey(namespace, name), creation);
  }

  recordDelete(namespace: string, name: string, status: number): void {
    this.count('delete', 'jobs', status);
    if (status === 200 || status === 202) this.#live.delete(jobKey(namespace, name));
  }

  /** Every Job that was created, in order. */
  creations(): readonly JobCreation[] {
    return this.#creations;
  }

  /** Creates the API server refused (409 AlreadyExists when a dispatcher re-creates a Job it will adopt…). */
  refused(): readonly { namespace: string; name: string; status: number }[] {
    return this.#refused;
  }

  /** Jobs created more than once: the same name twice (after a delete), or one block run's attempt under two names. */
  duplicates(): Duplicate[] {
    const group = (keyOf: (creation: JobCreation) => string): Map<string, string[]> => {
      const groups = new Map<string, string[]>();
      for (const creation of this.#creations) {
        const key = keyOf(creation);
        groups.set(key, [...(groups.get(key) ?? []), creation.uid]);
      }
      return groups;
    };
    const found: Duplicate[] = [];
    for (const [key, uids] of group((c) => jobKey(c.namespace, c.name)))
      if (uids.length > 1) found.push({ kind: 'name', key, uids });
    for (const [key, uids] of group((c) => `${c.namespace} ${c.identity}`))
      if (uids.length > 1) found.push({ kind: 'identity', key, uids });
    return found;
  }

  /** Jobs created and not (yet) deleted through the API. */
  remaining(): JobCreation[] {
    return [...this.#live.values()];
  }

  /** Requests by `verb resource status`, most frequent first. */
  tally(): [string, number][] {
    return [...this.#tally.entries()].sort((a, b) => b[1] - a[1]);
  }
}
