import express, { type ErrorRequestHandler, type Express } from 'express';
import { toError } from '../errors/to-error.ts';
import { observeQueues } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { checkRedis } from '../redis/connection.ts';
import type { RunCanceller } from '../runs/cancel-run.ts';
import type { RunCreator } from '../runs/create-run.ts';
import type { RunServices } from '../runs/run-services.ts';
import { AttemptSecrets } from '../callback/attempt-secrets.ts';
import { defaultAllowedHosts } from './allowed-hosts.ts';
import { apiRouter } from './api-router.ts';
import { callbackRouter } from './callback-router.ts';
import { apiChallenge, BASIC_CHALLENGE, checkListenSecurity, login, requireToken } from './auth.ts';
import { loggedOut, logout } from './logout.ts';
import { bullBoardRouter } from './bull-board.ts';
import { healthRouter } from './health-router.ts';
import { jsonBody } from './json-body.ts';
import { listen, type RunningHttpServer } from './listen.ts';
import { openLiveRuns, type LiveRuns, type LiveRunsOptions } from './live-runs.ts';
import { MAGE_TRIGGER_PATH, mageTriggerRouter } from './mage-trigger-router.ts';
import { triggersRouter } from './triggers-router.ts';
import { mageEnv } from '../project/trigger-file.ts';
import { TriggerState } from '../scheduler/trigger-state.ts';
import { metricsRouter } from './metrics-router.ts';
import { runFiltersRouter } from './run-filters-router.ts';
import { runsEventsRouter } from './runs-events-router.ts';
import { jsonWritesOnly, noFraming, originRequiredForWrites, sameSiteOnly } from './request-guards.ts';
import { runsPageRouter } from './runs-page-router.ts';
import { API_PATH, LOGGED_OUT_PATH, LOGIN_PATH, LOGOUT_PATH, RUNS_PAGE_PATH } from './web-paths.ts';

export type { RunningHttpServer };

export const UI_PATH = '/ui';

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required beyond loopback; when set, required on everything but the health endpoints. */
  authToken: string;
  /** Lets Bull Board retry, remove and clean queue jobs. */
  uiWritable: boolean;
  /** Host names requests may name (Host, Origin); default: the listen address and the loopback names (see `allowedHosts`). */
  allowedHosts?: readonly string[];
  /** `http.allowedHosts` alone: names a reverse proxy may put in Origin while forwarding another Host. */
  proxiedHosts?: readonly string[];
  services: RunServices;
  creator: RunCreator;
  canceller: RunCanceller;
  /** Mage's `get_env()` (from `ENV`): which triggers exist here; default as with `ENV` unset. */
  mageEnv?: string;
  /** Limits of the live views' event streams (cap, keepalive) and their read windows. */
  live?: LiveRunsOptions;
  logger: Logger;
}

/**
 * Errors nobody handled. A client's (an error with a 4xx status: a body too large, a path that
 * is not valid percent-encoded UTF-8) gets its status and message; anything else is a 500 whose
 * body says nothing of the cause (it may quote Redis or a library), logged without headers.
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown, request, response, _next) => {
    const error = toError(thrown);
    const status = (thrown as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return void response.status(status).json({ error: 'bad_request', problems: [error.message] });
    }
    logger.error({ method: request.method, path: request.path, err: error.message }, 'request failed');
    response.status(500).json({ error: 'internal', message: 'the request failed on the server; its log says why' });
  };
}

export function buildApp(options: HttpServerOptions, live: Pick<LiveRuns, 'watcher' | 'streams'>): Express {
  const { services, authToken } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(noFraming());
  // Probes come by the pod's IP, under no name of the dashboard; they read nothing and change nothing.
  app.use(healthRouter(() => checkRedis(services.redis)));
  app.use(sameSiteOnly(options.allowedHosts ?? defaultAllowedHosts(options.host), options.proxiedHosts ?? []));
  app.use(metricsRouter(authToken));
  // Mage's status PUT carries no token: the per-attempt secret in its path authenticates it.
  app.use(
    callbackRouter({
      store: services.store,
      secrets: new AttemptSecrets(services.redis, services.store.keys),
      logger: options.logger,
    }),
  );
  // Before the API's /runs/:id, which would take `events` for a run id.
  app.use(
    API_PATH,
    requireToken(authToken, apiChallenge),
    runsEventsRouter({ store: services.store, watcher: live.watcher, streams: live.streams }),
  );
  app.use(
    API_PATH,
    requireToken(authToken, apiChallenge),
    jsonWritesOnly(),
    jsonBody(),
    apiRouter({ store: services.store, creator: options.creator, canceller: options.canceller }),
  );
  const environment = options.mageEnv ?? mageEnv(undefined);
  app.use(
    API_PATH,
    requireToken(authToken, apiChallenge),
    triggersRouter({ projectDir: options.creator.plan.projectDir, mageEnv: environment }),
    runFiltersRouter({ projectDir: options.creator.plan.projectDir }),
  );
  // Mage's API-trigger URLs: authenticated by each trigger's own token, not by the API token.
  app.use(
    MAGE_TRIGGER_PATH,
    mageTriggerRouter({
      creator: options.creator,
      state: new TriggerState(services.redis, services.prefix),
      mageEnv: environment,
    }),
  );
  app.get('/', (_request, response) => response.redirect(302, RUNS_PAGE_PATH));
  app.get(LOGIN_PATH, login(authToken, RUNS_PAGE_PATH));
  app.get(`${UI_PATH}/login`, login(authToken, `${UI_PATH}/`));
  app.post(LOGOUT_PATH, originRequiredForWrites(), logout(LOGGED_OUT_PATH));
  app.get(LOGGED_OUT_PATH, loggedOut(RUNS_PAGE_PATH));
  app.use(
    RUNS_PAGE_PATH,
    requireToken(authToken, BASIC_CHALLENGE),
    runsPageRouter({ runsPath: RUNS_PAGE_PATH, apiPath: API_PATH, uiPath: UI_PATH, logoutPath: LOGOUT_PATH }),
  );
  app.use(
    UI_PATH,
    requireToken(authToken, BASIC_CHALLENGE),
    originRequiredForWrites(),
    bullBoardRouter([services.blockQueue, services.triggerQueue], UI_PATH, options.uiWritable),
  );
  app.use(
    (request, response) =>
      void response
        .status(404)
        .json({ error: 'not_found', message: `no ${request.method} ${request.path.slice(0, 200)}` }),
  );
  app.use(errorHandler(options.logger));
  return app;
}

/** Starts the HTTP API, Bull Board and /metrics; refuses a non-loopback address without a token. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  checkListenSecurity(options.host, options.authToken);
  const live = await openLiveRuns(options.services, options.logger, options.live);
  const server = await listen(
    buildApp(options, live),
    options.host,
    options.port,
    'http.host / http.port (KUBEDISPATCH_HTTP_HOST / KUBEDISPATCH_HTTP_PORT, --host / --port)',
  ).catch((thrown: unknown) => {
    live.close();
    throw thrown;
  });
  const stopObserving = observeQueues([options.services.blockQueue, options.services.triggerQueue]);
  options.logger.info(
    { host: options.host, port: server.port, auth: options.authToken ? 'token' : 'none (loopback)' },
    'HTTP API listening',
  );
  return {
    ...server,
    async close() {
      stopObserving();
      // Event streams never end by themselves: ended first, they do not hold the close.
      live.close();
      await server.close();
    },
  };
}
