import { once } from 'node:events';
import type { Logger } from '../observability/logger.ts';

export interface Stoppable {
  stop(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * How long a stop may take before the process exits anyway (code 1). Below Kubernetes' default
 * grace period of 30 s, so that the log says why rather than a SIGKILL.
 */
export const STOP_TIMEOUT_MS = 20_000;

/**
 * After a stop, only libraries' leftovers can still be scheduled: BullMQ keeps a watchdog of up to
 * 11 s on a blocking command that a Redis which is down never answers. The process does not wait
 * for them longer than this.
 */
const EXIT_AFTER_STOP_MS = 1000;

/**
 * Keeps what `start` started running until SIGTERM or SIGINT, then stops it cleanly. A second
 * signal exits at once (code 1), for an operator who does not want to wait, and so does a stop
 * that takes longer than `STOP_TIMEOUT_MS`. When `start` fails, the signals are let go again.
 */
export async function runUntilSignal(name: string, start: () => Promise<Stoppable>, logger: Logger): Promise<void> {
  const listening = new AbortController();
  // Listening before starting: a signal during start-up stops cleanly once start-up is done.
  const signalled = Promise.race(
    SIGNALS.map((signal) => once(process, signal, { signal: listening.signal }).then(() => signal)),
  );
  const forceExit = () => process.exit(1);
  let deadline: NodeJS.Timeout | undefined;
  // From the first signal on, even during start-up (which may be what hangs).
  signalled.then(
    (signal) => {
      for (const other of SIGNALS) process.once(other, forceExit);
      deadline = setTimeout(() => {
        logger.error(
          { signal, timeoutMs: STOP_TIMEOUT_MS },
          `${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting without finishing the stop`,
        );
        forceExit();
      }, STOP_TIMEOUT_MS).unref();
    },
    // AbortError: start failed and nobody waits for a signal any more.
    () => undefined,
  );
  try {
    const running = await start();
    const signal = await signalled;
    logger.info({ signal }, `stopping ${name}`);
    await running.stop();
    setTimeout(() => process.exit(), EXIT_AFTER_STOP_MS).unref();
  } finally {
    listening.abort();
    clearTimeout(deadline);
    for (const other of SIGNALS) process.off(other, forceExit);
  }
}
