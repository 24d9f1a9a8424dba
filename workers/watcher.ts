/**
 * Watcher process: decides the outcome of every block run's Job from what Kubernetes reports.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { processEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';
import { toError } from '../src/errors/to-error.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runWatcherUntilSignal } from '../src/watch/watcher-process.ts';

const env = processEnv();
const settings = loadSettings(env);
const logger = createLogger(settings.log.level, 'watcher');
try {
  await runWatcherUntilSignal({ settings, env, logger });
} catch (thrown) {
  logger.fatal({ err: toError(thrown) }, 'watcher failed');
  process.exitCode = 1;
}
