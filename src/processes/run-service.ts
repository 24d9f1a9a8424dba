import { processEnv, type Env } from '../config/env.ts';
import { loadSettings, settingsSecrets, SettingsError, type Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import type { Readiness } from '../http/health-router.ts';
import { startMetricsServer } from '../http/metrics-server.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { scrubSecrets } from '../errors/redact.ts';
import { RedisUnreachableError } from '../redis/connection.ts';
import { EPOCH_LOST_EXIT_CODE } from '../runs/epoch.ts';
import { startRedisGuard } from './redis-guard.ts';
import { RedisUrlError } from '../redis/redis-url.ts';
import { runUntilSignal, type Stoppable } from './run-until-signal.ts';

/** What every service starts from: the settings, the environment they come from, a logger named for it. */
export interface ServiceBasics {
  settings: Settings;
  env: Env;
  logger: Logger;
}

/** A started service: it can be stopped, and asked whether it can do its work (`/readyz`). */
export interface Service extends Stoppable {
  ready: Readiness;
}

export type StartService = (basics: ServiceBasics) => Promise<Service>;

function serviceBasics(name: string, configFile: string | undefined): ServiceBasics {
  const env = processEnv();
  const settings = loadSettings(env, configFile);
  return { settings, env, logger: createLogger(settings.log.level, name) };
}

/**
 * Redis lost its data while the process ran (docs/operations-redis.md): it stops as on SIGTERM
 * and exits with EPOCH_LOST_EXIT_CODE, for its supervisor to start it again in the new life.
 */
function stopForLostEpoch(): void {
  process.exitCode = EPOCH_LOST_EXIT_CODE;
  process.kill(process.pid, 'SIGTERM');
}

/**
 * Starts the service, with the metrics listener when `metrics.port` is set. The listener comes
 * first: a port in use fails before anything else is started, and the probes answer during
 * start-up (not ready yet). It closes last, so that liveness holds during a long stop. The Redis
 * guard comes next: it warns when Redis keeps nothing on disk and fixes the installation epoch
 * before any component reads it.
 */
async function startWithMetrics(name: string, basics: ServiceBasics, start: StartService): Promise<Stoppable> {
  const { host, port } = basics.settings.metrics;
  let service: Service | undefined;
  const ready: Readiness = () => (service ? service.ready() : Promise.reject(new Error(`${name} is starting`)));
  const metrics = port
    ? await startMetricsServer({ host, port, authToken: basics.settings.http.authToken, ready, logger: basics.logger })
    : undefined;
  let guard;
  try {
    guard = await startRedisGuard(basics.settings, basics.logger, stopForLostEpoch);
    service = await start(basics);
  } catch (thrown) {
    await guard?.stop();
    await metrics?.close();
    throw thrown;
  }
  const started = service;
  const startedGuard = guard;
  return {
    async stop() {
      await started.stop();
      await startedGuard.stop();
      await metrics?.close();
    },
  };
}

/**
 * Runs a service (`scheduler`, `dispatcher`…) until SIGTERM/SIGINT, with the settings of the
 * environment and `configFile`. Failures are thrown, for the CLI to report.
 */
export async function runService(name: string, configFile: string | undefined, start: StartService): Promise<void> {
  const basics = serviceBasics(name, configFile);
  await runUntilSignal(name, () => startWithMetrics(name, basics, start), basics.logger);
}

/** A copy of `error` whose message and stack have lost the secrets (the logger prints both). */
function scrubbedError(error: Error, secrets: readonly string[]): Error {
  const copy = new Error(scrubSecrets(error.message, secrets));
  copy.name = error.name;
  copy.stack = scrubSecrets(error.stack ?? '', secrets);
  return copy;
}

/**
 * `runService` for the `workers/*.ts` entry points, configured by the environment alone: a failure
 * is logged as fatal, since the logs are all a deployment keeps, and the exit code is 1.
 */
export async function runWorker(name: string, start: StartService): Promise<void> {
  let basics: ServiceBasics;
  try {
    basics = serviceBasics(name, undefined);
  } catch (thrown) {
    if (!(thrown instanceof SettingsError)) throw thrown;
    // No log level was read, so the line goes out at the default one; it names the setting to fix.
    createLogger('info', name).fatal(thrown.message);
    process.exitCode = 1;
    return;
  }
  try {
    await runUntilSignal(name, () => startWithMetrics(name, basics, start), basics.logger);
  } catch (thrown) {
    const error = toError(thrown);
    // The message says what to fix; a stack trace would only bury it. Whatever failed, a message
    // that quotes the Redis URL or the token (a library's) loses them here.
    const secrets = settingsSecrets(basics.settings);
    const message = scrubSecrets(error.message, secrets);
    if (error instanceof RedisUnreachableError) basics.logger.fatal({ redis: error.redis }, message);
    else if (error instanceof RedisUrlError) basics.logger.fatal(message);
    else basics.logger.fatal({ err: scrubbedError(error, secrets) }, `${name} failed`);
    process.exitCode = 1;
  }
}
