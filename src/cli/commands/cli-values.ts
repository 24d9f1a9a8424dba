import { InvalidArgumentError } from 'commander';

/** Commander parser for ids and attempt numbers; a bad value is a usage error (exit 2). */
export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('expected a positive integer');
  return value;
}
