import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';

describe('eventually', () => {
  it('polls until the probe returns something other than undefined or false, and resolves with it', async () => {
    const answers = [undefined, false, 'done'];
    await expect(eventually('the answer', () => answers.shift(), 1000, 1)).resolves.toBe('done');
    expect(answers).toEqual([]);
  });

  it('takes a throwing probe (a failed expect) for not yet', async () => {
    let calls = 0;
    const value = await eventually(
      'three calls',
      () => {
        calls += 1;
        expect(calls).toBe(3);
        return calls;
      },
      1000,
      1,
    );
    expect(value).toBe(3);
  });

  it('fails after the deadline naming what it waited for and the last failure', async () => {
    let calls = 0;
    const waiting = eventually(
      () => `the count (at ${calls})`,
      () => {
        calls += 1;
        expect(calls).toBe(-1);
      },
      30,
      1,
    );
    await expect(waiting).rejects.toThrow(
      /^timed out after 30 ms waiting for the count \(at \d+\); last, the probe threw expected \d+ to be -1/,
    );
  });

  it('names the last value returned when the probe never threw', async () => {
    await expect(eventually('the flag', () => false, 10, 1)).rejects.toThrow(
      'waiting for the flag; last, the probe returned false',
    );
  });
});
