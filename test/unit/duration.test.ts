import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['1.5m', 90_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['1d12h', 129_600_000],
    ['0s', 0],
    [' 150 ms ', 150],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '15', '15x', '1d garbage', 'ms', '-5s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
