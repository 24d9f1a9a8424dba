import { Router } from 'express';
import { toError } from '../errors/to-error.ts';

/** Resolves when the process can do its work; rejects saying why not. */
export type Readiness = () => Promise<void>;

/** `/healthz`: the process answers. `/readyz`: `ready` resolves (Redis answers, and whatever else the process needs). Both open, for probes. */
export function healthRouter(ready: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_request, response) => void response.json({ status: 'ok' }));
  router.get('/readyz', async (_request, response) => {
    try {
      await ready();
      response.json({ status: 'ready' });
    } catch (thrown) {
      response.status(503).json({ status: 'unavailable', message: toError(thrown).message });
    }
  });
  return router;
}
