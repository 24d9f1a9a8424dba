import { describe, expect, it } from 'vitest';
import { cleanName, triggerNameForJob } from '../../../src/mage/clean-name.ts';

// Expected values follow mage_ai/shared/utils.py::clean_name as described in the reference facts (§9).
describe('cleanName', () => {
  it.each([
    ['load_orders', 'load_orders'],
    ['Load Orders', 'load_orders'],
    ['\uFEFFdaily', 'daily'],
    ['say "hi"', 'say_hi'],
    ['cost$', 'cost'],
    ['a\tb\nc\rd', 'abcd'],
    ['a-b.c/d', 'a_b_c_d'],
    ['7 day', 'letter_7_day'],
    ['2nd', 'letter_2nd'],
    ['Été 2024', 'été_2024'],
    ['', ''],
    ['---', '___'],
  ])('%j → %j', (name, expected) => {
    expect(cleanName(name)).toBe(expected);
  });

  it("gives {trigger_name} with '_' turned into '-'", () => {
    expect(triggerNameForJob('Hourly Refresh!')).toBe('hourly-refresh-');
    expect(triggerNameForJob('7_days')).toBe('letter-7-days');
  });
});
