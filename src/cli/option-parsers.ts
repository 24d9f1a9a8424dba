import { InvalidArgumentError } from 'commander';
import { variablesFromAssignments } from '../runs/run-variables.ts';

// Commander calls these on option and argument values; a bad value is a usage error (exit 2).

/** Ids and attempt numbers. */
export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return value;
}

/** Durations and factors that must be above zero. */
export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new InvalidArgumentError('expected a number above 0');
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration with its unit: `500ms`, `90s`, `15m`, `12h`, `30d`, or a sum such as `1d12h`. */
export function duration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text.trim()) {
    throw new InvalidArgumentError('expected a duration such as 30d, 12h, 15m, 90s or 500ms');
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * DURATION_UNITS_MS[part[2]!]!, 0);
}

/** A listening port; 0 asks for any free port. */
export function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535)
    throw new InvalidArgumentError('expected a port number (0-65535, 0 for any free port)');
  return value;
}

/** An ISO 8601 date and time (`2026-01-01T00:00:00Z`; without an offset it is read as UTC, as Mage's dates are). */
export function isoDate(text: string): Date {
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(text) || /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  const date = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(withZone) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('expected an ISO 8601 date, e.g. 2026-01-01T00:00:00Z');
  return date;
}

/** Collects repeated `--var NAME=VALUE` options. */
export function collectVariable(value: string, previous: string[] | undefined): string[] {
  const { problems } = variablesFromAssignments([value]);
  if (problems.length > 0) throw new InvalidArgumentError('expected NAME=VALUE');
  return [...(previous ?? []), value];
}
