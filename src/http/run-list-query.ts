import type { Request } from 'express';
import type { RunFilter, RunListingQuery } from '../runs/run-listing.ts';
import { RUN_STATES, type RunState } from '../runs/types.ts';
import { parseRunId } from './run-id.ts';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

const QUERY_KEYS = ['limit', 'pipeline', 'state', 'trigger', 'before'];

/** A value quoted in a problem, cut short: the message names what was wrong, not the whole of it. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * The listing a request asks for (`GET /api/v1/runs` and its event stream), from
 * `?limit=&pipeline=&state=&trigger=&before=`: an empty value is no filter (as a form's
 * "any" choice sends it); `state` may list several states separated by commas.
 */
export function readRunListQuery(query: Request['query']): { query: RunListingQuery; problems: string[] } {
  const problems = Object.keys(query)
    .filter((key) => !QUERY_KEYS.includes(key))
    .map((key) => `query.${key.slice(0, 100)}: unknown parameter (expected ${QUERY_KEYS.join(', ')})`);
  const values: Record<string, string> = {};
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value === undefined) continue;
    if (typeof value === 'string') values[key] = value.trim();
    else problems.push(`${key}: expected one value`);
  }
  let limit = DEFAULT_LIST_LIMIT;
  if (values['limit']) {
    limit = /^\d{1,6}$/.test(values['limit']) ? Number(values['limit']) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT))
      problems.push(`limit: expected a whole number from 1 to ${MAX_LIST_LIMIT}, got ${quoted(values['limit'])}`);
  }
  const filter: RunFilter = {};
  if (values['pipeline']) filter.pipeline = values['pipeline'];
  if (values['trigger']) filter.trigger = values['trigger'];
  if (values['state']) {
    const states = values['state'].split(',').map((state) => state.trim());
    const unknown = states.filter((state) => !(RUN_STATES as readonly string[]).includes(state));
    // An empty entry (`running,,`) would otherwise be quoted as nothing at all.
    const got = unknown.includes('') ? `an empty one in ${quoted(values['state'])}` : quoted(unknown.join(','));
    if (unknown.length > 0)
      problems.push(`state: expected one or more of ${RUN_STATES.join(', ')} separated by commas, got ${got}`);
    // Sorted, so that one listing asked for in two orders is one listing (see RunWatcher).
    else filter.states = [...new Set(states as RunState[])].sort();
  }
  if (values['before']) {
    const before = parseRunId(values['before']);
    if (before === undefined)
      problems.push(`before: expected a run id (a positive whole number), got ${quoted(values['before'])}`);
    else filter.before = before;
  }
  return { query: { filter, limit }, problems };
}
