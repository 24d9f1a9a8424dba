import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { ExternalJobUrl, QueueJobJson } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';
import { RUNS_PAGE_PATH, runPagePath } from './web-paths.ts';

/**
 * The run page of a queue job: a block run's (its data names the run) or, for a schedule tick,
 * the run it created (its return value), once known.
 */
export function runLinkOf(job: Pick<QueueJobJson, 'data' | 'returnvalue'>): ExternalJobUrl | undefined {
  const fromData = (job.data as { runId?: unknown } | undefined)?.runId;
  const runId = typeof fromData === 'number' ? fromData : job.returnvalue;
  if (typeof runId !== 'number' || !Number.isSafeInteger(runId) || runId < 1) return undefined;
  return { displayText: `run ${runId}`, href: runPagePath(runId) };
}

/**
 * Bull Board over the given queues. Read-only unless `writable`: retrying or removing a queue job
 * behind the run store's back would desynchronise run state, so it is an explicit opt-in.
 */
export function bullBoardRouter(queues: readonly Queue[], basePath: string, writable: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map(
      (queue) =>
        new BullMQAdapter(queue, {
          readOnlyMode: !writable,
          allowRetries: writable,
          // Bull Board types the callback's result as required, but renders no link when it has none.
          externalJobUrl: (job) => runLinkOf(job) as ExternalJobUrl,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'kubedispatch', miscLinks: [{ text: 'Runs', url: RUNS_PAGE_PATH }] } },
  });
  return serverAdapter.getRouter() as Router;
}
