/**
 * Scheduler process: keeps schedules in step with the project's triggers.yaml files, turns ticks
 * into runs and sweeps active runs. Settings come from the environment (and KUBEDISPATCH_CONFIG);
 * `kubedispatch scheduler --http` also serves the HTTP API. Stops cleanly on SIGTERM/SIGINT.
 */
import { processEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';
import { toError } from '../src/errors/to-error.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runUntilSignal } from '../src/process/run-until-signal.ts';
import { startSchedulerProcess } from '../src/scheduler/scheduler-process.ts';

const env = processEnv();
const settings = loadSettings(env);
const logger = createLogger(settings.log.level, 'scheduler');
try {
  await runUntilSignal('scheduler', () => startSchedulerProcess({ settings, env, logger }), logger);
} catch (thrown) {
  logger.fatal({ err: toError(thrown).message }, 'scheduler failed');
  process.exitCode = 1;
}
