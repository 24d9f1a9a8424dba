import { InvalidArgumentError } from 'commander';
import { DURATION_EXPECTED, parseDuration } from '../config/duration.ts';
import { DATETIME_EXPECTED, parseUtcDatetime } from '../mage/python-datetime.ts';
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

/** A duration with its unit: `500ms`, `90s`, `15m`, `12h`, `30d`, or a sum such as `1d12h`. */
export function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_EXPECTED}`);
  return ms;
}

/** A listening port; 0 asks for any free port. */
export function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535)
    throw new InvalidArgumentError('expected a port number (0-65535, 0 for any free port)');
  return value;
}

/** An ISO 8601 date and time (`2026-01-01T00:00:00Z`; without a zone it is read as UTC, as Mage's dates are). */
export function isoDate(text: string): Date {
  const millis = parseUtcDatetime(text);
  if (millis === undefined) throw new InvalidArgumentError(`expected ${DATETIME_EXPECTED}`);
  return new Date(millis);
}

/** Collects repeated `--var NAME=VALUE` options. */
export function collectVariable(value: string, previous: string[] | undefined): string[] {
  const { problems } = variablesFromAssignments([value]);
  if (problems.length > 0) throw new InvalidArgumentError('expected NAME=VALUE');
  return [...(previous ?? []), value];
}
