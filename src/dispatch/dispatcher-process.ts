import { once } from 'node:events';
import { startDispatcher, type DispatcherOptions } from './dispatcher.ts';

/**
 * Runs a dispatcher until SIGTERM or SIGINT, then stops it cleanly: no new block runs are taken
 * and those in flight go back to the queue for another dispatcher (their Jobs keep running and
 * are adopted). A second signal exits at once.
 */
export async function runDispatcherUntilSignal(options: DispatcherOptions): Promise<void> {
  const dispatcher = await startDispatcher(options);
  const signal = await Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
  options.logger.info({ signal }, 'stopping dispatcher');
  const forceExit = () => process.exit(1);
  process.once('SIGTERM', forceExit).once('SIGINT', forceExit);
  await dispatcher.stop();
  process.off('SIGTERM', forceExit).off('SIGINT', forceExit);
}
