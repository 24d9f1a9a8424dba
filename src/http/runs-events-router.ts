import { Router, type Request, type Response } from 'express';
import { listRuns } from '../runs/run-listing.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { RunWatcher } from '../runs/run-watcher.ts';
import type { RunWithBlocks } from '../runs/types.ts';
import { parseRunId } from './run-id.ts';
import { readRunListQuery } from './run-list-query.ts';
import type { SseStream, SseStreams } from './sse-stream.ts';

export interface RunsEventsDependencies {
  store: RunStore;
  watcher: RunWatcher;
  streams: SseStreams;
}

/**
 * Starts a stream whose first event is `first()`, and whose later events are what `watch` hands
 * over. The watch begins before the first read, so a change during that read is not missed: what
 * the watch hands over before the stream starts is kept and sent right after the first event.
 * Before the stream starts, `first` may answer the request itself (a 404) by returning undefined.
 */
async function startStream<T>(
  request: Request,
  response: Response,
  streams: SseStreams,
  watch: (send: (value: T) => void) => () => void,
  first: () => Promise<T | undefined>,
  send: (stream: SseStream, value: T) => void,
): Promise<void> {
  if (streams.refuseWhenFull(response)) return;
  let disconnected = false;
  response.once('close', () => (disconnected = true));
  let stream: SseStream | undefined;
  let early: T | undefined;
  const stop = watch((value) => {
    if (stream) send(stream, value);
    else early = value;
  });
  let value: T | undefined;
  try {
    value = await first();
  } finally {
    if (value === undefined || disconnected) stop();
  }
  if (value === undefined || disconnected) return;
  stream = streams.start(request, response);
  if (!stream) {
    stop();
    return;
  }
  stream.onClose(stop);
  send(stream, value);
  if (early !== undefined) send(stream, early);
}

/**
 * Server-sent events of runs, for live pages (docs/operations.md "HTTP API"):
 * `GET /runs/:id/events` (`event: run`, then `event: gone` when the run is pruned) and
 * `GET /runs/events?<the list's filters>` (`event: runs`, the list's body).
 */
export function runsEventsRouter(deps: RunsEventsDependencies): Router {
  const router = Router();

  router.get('/runs/events', async (request, response) => {
    const { query, problems } = readRunListQuery(request.query);
    if (problems.length > 0) return void response.status(400).json({ error: 'bad_request', problems });
    await startStream(
      request,
      response,
      deps.streams,
      (send) => deps.watcher.watchListing(query, send),
      () => listRuns(deps.store, query.filter, query.limit),
      (stream, listing) => stream.send('runs', listing),
    );
  });

  router.get('/runs/:id/events', async (request, response) => {
    const runId = parseRunId(String(request.params['id']));
    const notFound = () =>
      void response.status(404).json({ error: 'not_found', message: `no run ${String(request.params['id'])}` });
    if (runId === undefined) return notFound();
    // A run that is gone is delivered as null (undefined would mean "not sent yet").
    await startStream<RunWithBlocks | null>(
      request,
      response,
      deps.streams,
      (send) => deps.watcher.watchRun(runId, (run) => send(run ?? null)),
      async () => {
        const run = await deps.store.getRun(runId);
        if (!run) notFound();
        return run;
      },
      (stream, run) => {
        if (run) return stream.send('run', run);
        // Pruned: nothing will come again under this id.
        stream.send('gone', { id: runId });
        stream.close();
      },
    );
  });

  return router;
}
