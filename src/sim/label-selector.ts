import { badRequest } from './status.ts';

export type ObjectPredicate = (object: SelectableObject) => boolean;

export interface SelectableObject {
  metadata: { labels?: Record<string, string> };
}

type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> };

const MATCH_ALL: ObjectPredicate = () => true;

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((term) => term.trim()).filter((term) => term.length > 0);
}

function parseRequirement(term: string): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = new Set((setMatch[3] as string).split(',').map((value) => value.trim()));
    return { op: setMatch[2] as 'in' | 'notin', key: setMatch[1] as string, values };
  }
  const compare = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (compare) {
    const op = compare[2] === '!=' ? 'notin' : 'in';
    return { op, key: compare[1] as string, values: new Set([compare[3] as string]) };
  }
  const exists = /^(!?)([^!=\s(),]+)$/.exec(term);
  if (exists) return { op: exists[1] === '!' ? 'notexists' : 'exists', key: exists[2] as string };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function satisfies(labels: Record<string, string> | undefined, requirement: Requirement): boolean {
  const value = labels?.[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
    case 'in':
      return value !== undefined && requirement.values.has(value);
    case 'notin':
      return value === undefined || !requirement.values.has(value);
  }
}

/** Compiles a `labelSelector` query parameter (equality, set-based and existence requirements). */
export function parseLabelSelector(text: string | null | undefined): ObjectPredicate {
  if (!text) return MATCH_ALL;
  const requirements = splitTerms(text).map(parseRequirement);
  return (object) => requirements.every((requirement) => satisfies(object.metadata.labels, requirement));
}

function fieldValue(object: unknown, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  return current === undefined || current === null ? '' : String(current);
}

/** Compiles a `fieldSelector` (`path=value`, `path==value`, `path!=value`, comma-separated). */
export function parseFieldSelector(text: string | null | undefined): ObjectPredicate {
  if (!text) return MATCH_ALL;
  const terms = splitTerms(text).map((term) => {
    const match = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    return { path: match[1] as string, negate: match[2] === '!=', value: match[3] as string };
  });
  return (object) => terms.every((term) => (fieldValue(object, term.path) === term.value) !== term.negate);
}

export function both(first: ObjectPredicate, second: ObjectPredicate): ObjectPredicate {
  if (first === MATCH_ALL) return second;
  if (second === MATCH_ALL) return first;
  return (object) => first(object) && second(object);
}
