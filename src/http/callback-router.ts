import { Router, type ErrorRequestHandler, type Response } from 'express';
import type { AttemptSecrets } from '../callback/attempt-secrets.ts';
import { attemptFromPath, CALLBACK_ROUTE } from '../callback/callback-url.ts';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunStore } from '../runs/run-store.ts';
import { REPORTED_STATUSES, type PodReport, type ReportedStatus } from '../runs/types.ts';
import { tokenMatches } from './auth.ts';
import { jsonBody } from './json-body.ts';
import { jsonWritesOnly } from './request-guards.ts';

export interface CallbackDependencies {
  store: RunStore;
  secrets: AttemptSecrets;
  logger: Logger;
  now?: () => number;
}

function refuse(response: Response, status: number, error: string, message: string): void {
  response.status(status).json({ error, message });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{"block_run": {"status": S, "error_details"?: …}}`, as Mage's BlockExecutor sends it; other keys are ignored. */
function readReport(body: unknown, now: number): PodReport | string {
  if (!isObject(body) || !isObject(body['block_run']))
    return 'body: expected a JSON object {"block_run": {"status": …}}';
  const { status, error_details: errorDetails } = body['block_run'];
  if (typeof status !== 'string' || !(REPORTED_STATUSES as readonly string[]).includes(status)) {
    return `block_run.status: expected one of ${REPORTED_STATUSES.join(', ')}`;
  }
  return { status: status as ReportedStatus, ...(errorDetails === undefined ? {} : { errorDetails }), reportedAt: now };
}

/**
 * Mage's block status PUT (`--callback-url`, see src/callback/callback-url.ts), served without the
 * HTTP API's token: Mage sends no credentials, so the per-attempt secret in the path is checked
 * instead. The path holds that secret, so nothing here logs or echoes it.
 */
export function callbackRouter(deps: CallbackDependencies): Router {
  const { store, secrets, logger } = deps;
  const now = deps.now ?? Date.now;
  const router = Router();

  // Mage sends `Content-Type: application/json`; its body is checked as the API's are (UTF-8, no lone surrogates).
  router.put(CALLBACK_ROUTE, jsonWritesOnly(), ...jsonBody(), async (request, response) => {
    const attempt = attemptFromPath(request.params);
    if (!attempt) return refuse(response, 404, 'not_found', 'no such block run attempt');
    if (!tokenMatches(String(request.params['secret'] ?? ''), await secrets.secretFor(attempt))) {
      logger.warn({ blockRunId: attempt.blockRunId, attempt: attempt.attempt }, 'callback with a wrong secret refused');
      return refuse(response, 403, 'forbidden', 'wrong secret for this block run attempt');
    }
    const report = readReport(request.body, now());
    if (typeof report === 'string') return refuse(response, 400, 'bad_request', report);
    const stored = await store.recordReport(attempt, report);
    if (stored.status !== report.status) {
      return refuse(response, 409, 'conflict', `this attempt already reported ${stored.status}`);
    }
    logger.info(
      { blockRunId: attempt.blockRunId, attempt: attempt.attempt, status: report.status },
      'Mage reported the block status',
    );
    response.json({ block_run: { status: stored.status } });
  });

  // Errors of this router (bad JSON, a body too large, Redis down) are answered here, never with the path.
  const errors: ErrorRequestHandler = (thrown, _request, response, _next) => {
    const status = (thrown as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return refuse(response, status, 'bad_request', toError(thrown).message);
    logger.error({ err: toError(thrown).message }, 'callback failed');
    refuse(response, 500, 'internal', 'the report could not be recorded');
  };
  router.use(errors);
  return router;
}
