import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { ConfigError, formatProblem } from '../errors/config-problem.ts';
import type { RunStore } from '../runs/run-store.ts';
import { cancelPipelineRun, type RunCanceller } from '../runs/cancel-run.ts';
import { createPipelineRun, type RunCreator } from '../runs/create-run.ts';
import { retryPipelineRun } from '../runs/retry-run.ts';
import { listRuns } from '../runs/run-listing.ts';
import { variablesFromObject } from '../runs/run-variables.ts';
import { parseRunId } from './run-id.ts';
import { readRunListQuery } from './run-list-query.ts';

export interface ApiDependencies {
  store: RunStore;
  creator: RunCreator;
  canceller: RunCanceller;
}

/** Keys of HTTP requests live beside schedule ticks' keys in the run store; the prefix keeps them apart. */
const IDEMPOTENCY_PREFIX = 'http:';

function badRequest(response: Response, problems: string[]): void {
  response.status(400).json({ error: 'bad_request', problems });
}

function runIdParam(request: Request): number | undefined {
  return parseRunId(String(request.params['id'] ?? ''));
}

/** The keys a run request may have; any other is refused rather than silently dropped. */
const CREATE_BODY_KEYS = ['trigger', 'variables'];

/** One problem per key of `object` that is not in `known`, naming it and what is expected. */
export function unknownKeyProblems(
  object: Record<string, unknown>,
  known: readonly string[],
  where = 'body',
): string[] {
  return Object.keys(object)
    .filter((key) => !known.includes(key))
    .map(
      (key) =>
        `${where}.${key.length > 100 ? `${key.slice(0, 100)}…` : key}: unknown key (expected ${known.join(', ')})`,
    );
}

/** Keys sorted at every level, so that one request always hashes the same however its keys were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What an Idempotency-Key stands for: the pipeline and the body, stored with the run it created. */
function requestHash(pipelineUuid: string, body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ pipelineUuid, body: body ?? {} }))
    .digest('hex');
}

function readCreateBody(body: unknown): { trigger: string; variables: Record<string, unknown>; problems: string[] } {
  // No body at all (jsonBody leaves it undefined) means defaults; null, arrays and scalars are refused.
  const object = (body === undefined ? {} : body) as Record<string, unknown>;
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return { trigger: '', variables: {}, problems: ['body: expected a JSON object { "trigger"?, "variables"? }'] };
  const problems = unknownKeyProblems(object, CREATE_BODY_KEYS);
  const trigger = object['trigger'] ?? '';
  if (typeof trigger !== 'string') problems.push('trigger: expected a string');
  const reading = variablesFromObject(object['variables'], 'variables');
  return {
    trigger: typeof trigger === 'string' ? trigger : '',
    variables: reading.variables,
    problems: [...problems, ...reading.problems],
  };
}

/** The JSON API under /api/v1: create, list, show, cancel and retry runs. */
export function apiRouter(deps: ApiDependencies): Router {
  const router = Router();

  router.post('/pipelines/:uuid/runs', async (request, response) => {
    const { trigger, variables, problems } = readCreateBody(request.body);
    const key = request.get('Idempotency-Key')?.trim();
    if (key !== undefined && (key === '' || key.length > 200))
      problems.push('Idempotency-Key: expected 1 to 200 characters');
    if (problems.length > 0) return badRequest(response, problems);
    const pipelineUuid = String(request.params['uuid']);
    const hash = key ? requestHash(pipelineUuid, request.body) : undefined;
    try {
      const runId = await createPipelineRun(deps.creator, {
        pipelineUuid,
        trigger,
        variables,
        ...(key && hash ? { idempotencyKey: `${IDEMPOTENCY_PREFIX}${key}`, requestHash: hash } : {}),
      });
      const run = await deps.store.getRun(runId);
      // A run created before request hashes were stored has none, and is taken as the same request.
      if (run?.requestHash !== undefined && run.requestHash !== hash) {
        return void response.status(422).json({
          error: 'idempotency_key_reused',
          message: `Idempotency-Key was first used for another request (another pipeline or body), which created run ${runId}; use a new key for a new request`,
        });
      }
      response.status(201).location(`/api/v1/runs/${runId}`).json(run);
    } catch (thrown) {
      if (!(thrown instanceof ConfigError)) throw thrown;
      response.status(422).json({
        error: 'invalid_pipeline',
        problems: thrown.problems.map((problem) => ({ ...problem, text: formatProblem(problem) })),
      });
    }
  });

  router.get('/runs', async (request, response) => {
    const { query, problems } = readRunListQuery(request.query);
    if (problems.length > 0) return badRequest(response, problems);
    response.json(await listRuns(deps.store, query.filter, query.limit));
  });

  router.get('/runs/:id', async (request, response) => {
    const runId = runIdParam(request);
    const run = runId === undefined ? undefined : await deps.store.getRun(runId);
    if (!run)
      return void response.status(404).json({ error: 'not_found', message: `no run ${String(request.params['id'])}` });
    response.json(run);
  });

  router.post('/runs/:id/cancel', async (request, response) => {
    const runId = runIdParam(request);
    const report = runId === undefined ? undefined : await cancelPipelineRun(deps.canceller, runId);
    if (!report?.found || runId === undefined)
      return void response.status(404).json({ error: 'not_found', message: `no run ${String(request.params['id'])}` });
    response.json({ ...report, run: await deps.store.getRun(runId) });
  });

  router.post('/runs/:id/retry', async (request, response) => {
    const runId = runIdParam(request);
    const report = runId === undefined ? undefined : await retryPipelineRun(deps.canceller, runId);
    if (!report?.found || runId === undefined)
      return void response.status(404).json({ error: 'not_found', message: `no run ${String(request.params['id'])}` });
    if (!report.retried) return void response.status(409).json({ error: report.refusal, message: report.message });
    response.json({ retried: true, blocks: report.blocks, run: await deps.store.getRun(runId) });
  });

  return router;
}
