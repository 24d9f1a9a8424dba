import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/**
 * Polls `probe` until it returns something other than undefined or false, and resolves with that.
 * A probe may also throw (a failed `expect`): that counts as not yet. After `timeoutMs` it fails
 * naming `what` (a function is asked then, so it can tell the state at the end, such as a process's
 * output) and the last failure: the last error thrown, else the last value returned. Tests
 * synchronise on observable state with this, never on elapsed time.
 */
export async function eventually<T>(
  what: string | (() => string),
  probe: Probe<T>,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = `the probe returned ${String(value)}`;
    } catch (error) {
      last = `the probe threw ${error instanceof Error ? error.message : inspect(error)}`;
    }
    if (Date.now() > deadline) {
      const subject = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${subject}; last, ${last}`);
    }
    await sleep(intervalMs);
  }
}
