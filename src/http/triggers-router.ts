import { Router } from 'express';
import { readProjectTriggers } from '../project/trigger-file.ts';
import { listTriggers } from '../scheduler/trigger-listing.ts';

/** `GET /api/v1/triggers`: every valid trigger of the project with its id (no tokens), and the problems of the others. */
export function triggersRouter(deps: { projectDir: string; mageEnv: string; now?: () => number }): Router {
  const router = Router();
  router.get('/triggers', (_request, response) => {
    const { triggers, problems } = readProjectTriggers(deps.projectDir);
    response.json({
      env: deps.mageEnv,
      triggers: listTriggers(triggers, deps.mageEnv, (deps.now ?? Date.now)()),
      problems,
    });
  });
  return router;
}
