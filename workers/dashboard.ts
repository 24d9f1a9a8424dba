/**
 * Dashboard process: HTTP API, Bull Board at /ui and /metrics. Settings come from the environment
 * (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { processEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';
import { toError } from '../src/errors/to-error.ts';
import { startDashboardProcess } from '../src/http/dashboard-process.ts';
import { createLogger } from '../src/observability/logger.ts';
import { runUntilSignal } from '../src/process/run-until-signal.ts';

const env = processEnv();
const settings = loadSettings(env);
const logger = createLogger(settings.log.level, 'dashboard');
try {
  await runUntilSignal('dashboard', () => startDashboardProcess({ settings, env, logger }), logger);
} catch (thrown) {
  logger.fatal({ err: toError(thrown).message }, 'dashboard failed');
  process.exitCode = 1;
}
