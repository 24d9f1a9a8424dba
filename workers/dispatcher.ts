/**
 * Dispatcher process: takes block runs from the queue and runs each as a Kubernetes Job.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { processEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';
import { startDispatcher } from '../src/dispatch/dispatcher.ts';
import { toError } from '../src/errors/to-error.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runUntilSignal } from '../src/process/run-until-signal.ts';

const env = processEnv();
const settings = loadSettings(env);
const logger = createLogger(settings.log.level, 'dispatcher');
try {
  await runUntilSignal('dispatcher', () => startDispatcher({ settings, env, logger }), logger);
} catch (thrown) {
  logger.fatal({ err: toError(thrown) }, 'dispatcher failed');
  process.exitCode = 1;
}
