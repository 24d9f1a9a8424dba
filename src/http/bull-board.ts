import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

/**
 * Bull Board over the given queues. Read-only unless `writable`: retrying or removing a queue job
 * behind the run store's back would desynchronise run state, so it is an explicit opt-in.
 */
export function bullBoardRouter(queues: readonly Queue[], basePath: string, writable: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: !writable, allowRetries: writable })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'kubedispatch' } },
  });
  return serverAdapter.getRouter() as Router;
}
