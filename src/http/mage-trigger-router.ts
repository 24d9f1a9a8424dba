import { Router, type Request, type Response } from 'express';
import { ConfigError, formatProblem } from '../errors/config-problem.ts';
import { createPipelineRun, type RunCreator } from '../runs/create-run.ts';
import { tickData } from '../runs/trigger-queue.ts';
import { readProjectTriggers, triggerInEnv, type Trigger } from '../project/trigger-file.ts';
import type { RunRequest } from '../runs/run-plan.ts';
import type { TriggerState } from '../scheduler/trigger-state.ts';
import { triggerRunRequest } from '../scheduler/trigger-worker.ts';
import { tokenMatches } from './auth.ts';
import { jsonBody } from './json-body.ts';
import { magePipelineRun } from './mage-run-shape.ts';

export interface MageTriggerDependencies {
  creator: RunCreator;
  state: TriggerState;
  /** Mage's `get_env()` of this installation: triggers outside their `envs` do not exist here. */
  mageEnv: string;
}

/** Where Mage serves its API-trigger routes; a caller switches from Mage by changing only the host. */
export const MAGE_TRIGGER_PATH = '/api/pipeline_schedules';

/** Errors in Mage's shape (`{"error": {code, message, type}}`), with the HTTP status the code names. */
function mageError(response: Response, code: number, type: string, message: string): void {
  response.status(code).json({ error: { code, type, message, exception: message } });
}

function findTrigger(deps: MageTriggerDependencies, rawId: string): Trigger | undefined {
  if (!/^[1-9]\d{0,9}$/.test(rawId)) return undefined;
  const id = Number(rawId);
  return readProjectTriggers(deps.creator.plan.projectDir).triggers.find(
    (trigger) => trigger.id === id && triggerInEnv(trigger, deps.mageEnv),
  );
}

function bearerToken(request: Request): string | undefined {
  const [scheme, value] = (request.headers.authorization ?? '').split(' ', 2);
  return scheme?.toLowerCase() === 'bearer' && value ? value.trim() : undefined;
}

export interface TriggerBody {
  variables: Record<string, unknown>;
  executionDate?: Date;
  eventVariables: Record<string, unknown>;
}

/** Mage's body: `{"pipeline_run": {"variables"?, "execution_date"?}}`, every other top-level key an event variable. */
export function readTriggerBody(body: unknown): TriggerBody | string {
  const object = body === undefined ? {} : body;
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return 'body: expected a JSON object {"pipeline_run": {"variables": {...}}}';
  const { pipeline_run: run = {}, ...eventVariables } = object as Record<string, unknown>;
  if (typeof run !== 'object' || run === null || Array.isArray(run))
    return 'pipeline_run: expected an object {"variables"?, "execution_date"?}';
  const { variables = {}, execution_date: executionDate } = run as Record<string, unknown>;
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables))
    return 'pipeline_run.variables: expected an object of names to JSON values';
  const result: TriggerBody = { variables: variables as Record<string, unknown>, eventVariables };
  if (executionDate !== undefined && executionDate !== null) {
    const millis =
      typeof executionDate === 'string'
        ? Date.parse(/([zZ]|[+-]\d\d:?\d\d)$/.test(executionDate) ? executionDate : `${executionDate}Z`)
        : Number.NaN;
    if (Number.isNaN(millis))
      return 'pipeline_run.execution_date: expected an ISO 8601 date and time such as "2026-01-01T00:00:00Z" (UTC when no zone is given)';
    result.executionDate = new Date(millis);
  }
  return result;
}

/** The run an API call asks for: the request's variables and event variables, the trigger as schedule. */
export function apiTriggerRunRequest(trigger: Trigger, body: TriggerBody, executionDate: number): RunRequest {
  return triggerRunRequest(tickData(trigger, executionDate), {
    variables: body.variables,
    eventVariables: body.eventVariables,
  });
}

/**
 * Mage's two API-trigger routes (`server/api/triggers.py`): `POST <id>/pipeline_runs/<token>` and
 * `POST <id>/api_trigger` with `Authorization: Bearer <token>`. They authenticate by the trigger's
 * token only, as Mage does, so they sit outside the kubedispatch API token. Mage answers errors
 * with HTTP 200 and an `error` object; here the same object comes with its real status code.
 */
export function mageTriggerRouter(deps: MageTriggerDependencies): Router {
  const router = Router();
  // Mage json.loads the body whatever its Content-Type (curl -d sends form-urlencoded); the token, not
  // the content type, is what keeps other sites out. The body is checked as the API's are (UTF-8,
  // no lone surrogates, finite numbers).
  router.use(jsonBody());

  const handle = async (request: Request, response: Response, presented: string | undefined): Promise<void> => {
    const trigger = findTrigger(deps, String(request.params['id']));
    if (!trigger) return mageError(response, 404, 'record_not_found', 'Record not found.');
    if (trigger.scheduleType !== 'api')
      return mageError(response, 403, 'unauthorized_access', 'This endpoint is only supported for API trigger.');
    const token = await deps.state.apiToken(trigger);
    if (presented === undefined || !tokenMatches(presented, token))
      return mageError(response, 401, 'unauthorized_access', `Invalid token for pipeline schedule ID ${trigger.id}.`);
    const body = readTriggerBody(request.body);
    if (typeof body === 'string') return mageError(response, 400, 'record_invalid', body);
    const executionDate = (body.executionDate ?? new Date()).getTime();
    try {
      const runId = await createPipelineRun(deps.creator, apiTriggerRunRequest(trigger, body, executionDate));
      await deps.state.recordRun(trigger.id, runId, executionDate);
      const run = (await deps.creator.store.getRun(runId))!;
      response.json({
        pipeline_run: magePipelineRun(run, {
          scheduleId: trigger.id,
          executionDate,
          eventVariables: body.eventVariables,
        }),
      });
    } catch (thrown) {
      if (!(thrown instanceof ConfigError)) throw thrown;
      mageError(
        response,
        422,
        'record_invalid',
        thrown.problems
          .filter((problem) => problem.severity === 'error')
          .map(formatProblem)
          .join('\n'),
      );
    }
  };

  router.post('/:id/pipeline_runs/:token', (request, response) =>
    handle(request, response, String(request.params['token'])),
  );
  router.post('/:id/api_trigger', (request, response) => handle(request, response, bearerToken(request)));
  return router;
}
