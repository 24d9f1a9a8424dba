import { describe, expect, it } from 'vitest';
import { pythonDatetimeText, reprintParsedDatetime, strftime } from '../../../src/mage/python-datetime.ts';

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
});
