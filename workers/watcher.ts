/**
 * Watcher process: decides the outcome of every block run's Job from what Kubernetes reports.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { processEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';
import { toError } from '../src/errors/to-error.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runUntilSignal } from '../src/process/run-until-signal.ts';
import { startWatcherProcess } from '../src/watch/watcher-process.ts';

const env = processEnv();
const settings = loadSettings(env);
const logger = createLogger(settings.log.level, 'watcher');
try {
  await runUntilSignal('watcher', () => startWatcherProcess({ settings, env, logger }), logger);
} catch (thrown) {
  logger.fatal({ err: toError(thrown) }, 'watcher failed');
  process.exitCode = 1;
}
