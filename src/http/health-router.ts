import { Router } from 'express';
import type { Redis } from 'ioredis';
import { toError } from '../errors/to-error.ts';

const READY_TIMEOUT_MS = 2000;

/** `/healthz`: the process answers. `/readyz`: Redis answers too. Both open, for probes. */
export function healthRouter(redis: Redis): Router {
  const router = Router();
  router.get('/healthz', (_request, response) => void response.json({ status: 'ok' }));
  router.get('/readyz', async (_request, response) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([redis.ping(), timeout]);
      response.json({ status: 'ready' });
    } catch (thrown) {
      response.status(503).json({ status: 'unavailable', message: toError(thrown).message });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
