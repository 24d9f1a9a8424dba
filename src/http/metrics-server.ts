import express from 'express';
import type { Logger } from '../observability/logger.ts';
import { healthRouter, type Readiness } from './health-router.ts';
import { listen, type RunningHttpServer } from './listen.ts';
import { metricsRouter } from './metrics-router.ts';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** `http.authToken`: `/metrics` requires it when set, as on the HTTP API. */
  authToken: string;
  ready: Readiness;
  logger: Logger;
}

/**
 * The metrics listener every process can have (`metrics.host`:`metrics.port`): `/metrics`,
 * `/healthz` and `/readyz`, nothing else. Unlike the HTTP API it may listen beyond loopback
 * without a token: nothing on it changes anything, and with a token `/metrics` needs it.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningHttpServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(options.ready));
  app.use(metricsRouter(options.authToken));
  const server = await listen(
    app,
    options.host,
    options.port,
    'metrics.host / metrics.port (KUBEDISPATCH_METRICS_HOST / KUBEDISPATCH_METRICS_PORT)',
  );
  options.logger.info(
    { host: options.host, port: server.port, auth: options.authToken ? 'token' : 'none' },
    'metrics and health listening',
  );
  return server;
}
