import { describe, expect, it } from 'vitest';
import {
  parseUtcDatetime,
  pythonDatetimeText,
  reprintParsedDatetime,
  strftime,
} from '../../../src/mage/python-datetime.ts';

describe('str(datetime) forms', () => {
  it.each([
    ['2024-01-01T00:00:00Z', false, '2024-01-01 00:00:00+00:00'],
    ['2024-01-01T12:34:56.123Z', false, '2024-01-01 12:34:56.123000+00:00'],
    ['2024-01-01T12:34:56.123Z', true, '2024-01-01 12:34:56.123000'],
    ['2024-02-29T23:59:59Z', true, '2024-02-29 23:59:59'],
  ])('%s (naive %s) → %s', (iso, naive, expected) => {
    expect(pythonDatetimeText({ date: new Date(iso), naive })).toBe(expected);
  });

  it('formats partitions with strftime and refuses unknown directives', () => {
    expect(strftime(new Date('2024-03-04T05:06:07.089Z'), '%Y%m%dT%H%M%S_%f')).toBe('20240304T050607_089000');
    expect(() => strftime(new Date(0), '%j')).toThrow(/unsupported directive %j/);
  });

  it.each([
    ['2024-01-01', '2024-01-01 00:00:00'],
    ['2024-01-01T10:00', '2024-01-01 10:00:00'],
    ['2024-01-01 10:00:00Z', '2024-01-01 10:00:00+00:00'],
    ['2024-01-01T10:00:00.5+0530', '2024-01-01 10:00:00.500000+05:30'],
    ['2024-01-01T10:00:00.000-02:00', '2024-01-01 10:00:00-02:00'],
  ])('re-prints %j as dateutil parses it: %j', (text, expected) => {
    expect(reprintParsedDatetime(text)).toBe(expected);
  });

  it('leaves forms it does not know alone', () => {
    expect(reprintParsedDatetime('next tuesday')).toBeUndefined();
  });

  it.each([
    ['2026-01-01', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01 00:00:00', '2026-01-01T00:00:00.000Z'],
    [' 2026-03-01T12:00 ', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01t12:00:00.5z', '2026-03-01T12:00:00.500Z'],
    ['2026-03-01T12:00:00.123456+01:00', '2026-03-01T11:00:00.123Z'],
    ['2026-03-01T12:00:00-0130', '2026-03-01T13:30:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ])('reads %j as the instant %s (UTC when no zone is given)', (text, expected) => {
    expect(new Date(parseUtcDatetime(text)!).toISOString()).toBe(expected);
  });

  it.each(['soon', '2026-02-30', '2026-01-01T24:00:00', '2026-13-01', '1 March 2026', ''])('refuses %j', (text) => {
    expect(parseUtcDatetime(text)).toBeUndefined();
  });
});
