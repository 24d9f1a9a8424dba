import { EVENT_ID, getScalarValue, parseEvents } from 'js-yaml';
import type { Event } from 'js-yaml';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { childPath, itemPath } from './input-shape.ts';

/**
 * The 1-based line of every key path of a YAML text, written as problems write them
 * (`blocks[2].executor_config.pod`), so a problem found in the parsed data can point at its line.
 */
export function keyPathLines(text: string): Map<string, number> {
  const events = parseEvents(text, {});
  const newlines = [...text.matchAll(/\n/g)].map((match) => match.index);
  const lineOf = (offset: number) => 1 + countBelow(newlines, offset);
  const lines = new Map<string, number>();
  let next = 0;

  const skip = (): void => {
    let depth = 0;
    do {
      const event = events[next++];
      if (event?.type === EVENT_ID.MAPPING || event?.type === EVENT_ID.SEQUENCE) depth += 1;
      if (event?.type === EVENT_ID.POP) depth -= 1;
    } while (depth > 0 && next < events.length);
  };
  const walk = (path: string): void => {
    const event = events[next++];
    if (event?.type === EVENT_ID.MAPPING) {
      while (next < events.length && events[next]?.type !== EVENT_ID.POP) {
        const key = events[next];
        const keyText = key?.type === EVENT_ID.SCALAR ? getScalarValue(text, key) : undefined;
        skip();
        if (keyText === undefined) {
          skip();
          continue;
        }
        const keyPath = childPath(path, keyText);
        lines.set(keyPath, lineOf(startOf(key)));
        walk(keyPath);
      }
      next += 1;
    } else if (event?.type === EVENT_ID.SEQUENCE) {
      for (let index = 0; next < events.length && events[next]?.type !== EVENT_ID.POP; index += 1) {
        const item = itemPath(path, index);
        lines.set(item, lineOf(startOf(events[next])));
        walk(item);
      }
      next += 1;
    }
  };
  while (next < events.length) {
    if (events[next++]?.type === EVENT_ID.DOCUMENT) walk('');
  }
  return lines;
}

/** Adds "(line N)" to problems of one file, using the closest enclosing key path that has a line. */
export function withKeyLines(problems: readonly ConfigProblem[], file: string, text: string): ConfigProblem[] {
  let lines: Map<string, number> | undefined;
  return problems.map((problem) => {
    if (problem.file !== file || !problem.keyPath) return problem;
    lines ??= keyPathLines(text);
    for (let path = problem.keyPath; path; path = parentPath(path)) {
      const line = lines.get(path);
      if (line !== undefined) return { ...problem, message: `${problem.message} (line ${line})` };
    }
    return problem;
  });
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut > 0 ? path.slice(0, cut) : '';
}

function startOf(event: Event | undefined): number {
  if (!event) return 0;
  const starts =
    'valueStart' in event
      ? [event.anchorStart, event.tagStart, event.valueStart]
      : 'start' in event
        ? [event.anchorStart, event.tagStart, event.start]
        : 'anchorStart' in event
          ? [event.anchorStart]
          : [];
  return Math.min(...starts.filter((offset) => offset >= 0), Number.MAX_SAFE_INTEGER);
}

function countBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
