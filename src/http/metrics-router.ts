import { Router } from 'express';
import { metricsRegistry } from '../observability/metrics.ts';
import { requireToken } from './auth.ts';

/** `GET /metrics`: this process's registry in Prometheus' text format; needs the auth token when one is set. */
export function metricsRouter(authToken: string): Router {
  const router = Router();
  router.get('/metrics', requireToken(authToken), async (_request, response) => {
    const registry = metricsRegistry();
    response.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
