import { Router } from 'express';
import { pipelineUuids } from '../project/load-project.ts';
import { readProjectTriggers } from '../project/trigger-file.ts';

/**
 * `GET /api/v1/pipelines`: the values the runs list can be filtered by, read from the project
 * (not from the runs, whose number has no bound): its pipeline uuids, and the names of its
 * triggers, each once, sorted.
 */
export function runFiltersRouter(deps: { projectDir: string }): Router {
  const router = Router();
  router.get('/pipelines', (_request, response) => {
    const triggers = new Set(readProjectTriggers(deps.projectDir).triggers.map((trigger) => trigger.name));
    response.json({ pipelines: pipelineUuids(deps.projectDir), triggers: [...triggers].sort() });
  });
  return router;
}
