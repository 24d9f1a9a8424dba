import { InvalidArgumentError } from 'commander';

/** Commander parser for a listening port; 0 asks for any free port. */
export function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new InvalidArgumentError('expected a port number (0 for any free port)');
  return value;
}

/** Commander parser for durations and factors that must be above zero. */
export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new InvalidArgumentError('expected a number above 0');
  return value;
}
