import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import { createBlockRunQueue, type BlockRunJobData } from './block-run-queue.ts';
import { closeRedis, connectRedis, stopReconnecting } from '../redis/connection.ts';
import { RedisOutageLog } from '../redis/outage-log.ts';
import { RunStore } from './run-store.ts';
import { createTriggerQueue, type TriggerTickData } from './trigger-queue.ts';

/** The Redis-backed pieces the scheduler, the HTTP API and the CLI share. */
export interface RunServices {
  redis: Redis;
  /** Reports outages of `redis`; BullMQ errors go through it first. */
  outages: RedisOutageLog;
  store: RunStore;
  blockQueue: Queue<BlockRunJobData>;
  triggerQueue: Queue<TriggerTickData>;
  prefix: string;
  close(): Promise<void>;
}

export async function openRunServices(settings: Settings, logger: Logger): Promise<RunServices> {
  const redis = await connectRedis(settings.redis.url);
  const outages = new RedisOutageLog(logger, settings.redis.url);
  outages.watch(redis);
  const prefix = settings.queue.prefix;
  const blockQueue = createBlockRunQueue(redis, prefix);
  const triggerQueue = createTriggerQueue(redis, prefix);
  for (const queue of [blockQueue, triggerQueue]) {
    // Without a listener BullMQ prints each error (every failed reconnection) with its stack.
    queue.on('error', (error) => {
      if (!outages.absorb(toError(error)))
        logger.warn({ queue: queue.name, err: toError(error).message }, 'queue error');
    });
  }
  return {
    redis,
    outages,
    store: new RunStore(redis, prefix),
    blockQueue,
    triggerQueue,
    prefix,
    async close() {
      // The queues' close waits on Redis: while it is down, fail instead of waiting for it.
      stopReconnecting(redis);
      await Promise.all([blockQueue.close(), triggerQueue.close()]);
      await closeRedis(redis);
    },
  };
}
