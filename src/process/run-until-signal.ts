import { once } from 'node:events';
import type { Logger } from '../observability/logger.ts';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Keeps what `start` started running until SIGTERM or SIGINT, then stops it cleanly. A second
 * signal during the stop exits at once, for an operator who does not want to wait.
 */
export async function runUntilSignal(name: string, start: () => Promise<Stoppable>, logger: Logger): Promise<void> {
  // Listening before starting: a signal during start-up stops cleanly once start-up is done.
  const signalled = Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
  const running = await start();
  const signal = await signalled;
  logger.info({ signal }, `stopping ${name}`);
  const forceExit = () => process.exit(1);
  process.once('SIGTERM', forceExit).once('SIGINT', forceExit);
  await running.stop();
  process.off('SIGTERM', forceExit).off('SIGINT', forceExit);
}
