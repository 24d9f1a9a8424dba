import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.ts';
import { createBlockRunQueue, type BlockRunJobData } from '../queue/block-run-queue.ts';
import { RunStore } from '../runs/run-store.ts';
import { connectRedis } from './redis-connection.ts';
import { createTriggerQueue, type TriggerTickData } from './trigger-queue.ts';

/** The Redis-backed pieces the scheduler, the HTTP API and the CLI share. */
export interface RunServices {
  redis: Redis;
  store: RunStore;
  blockQueue: Queue<BlockRunJobData>;
  triggerQueue: Queue<TriggerTickData>;
  prefix: string;
  close(): Promise<void>;
}

export async function openRunServices(settings: Settings): Promise<RunServices> {
  const redis = await connectRedis(settings.redis.url);
  const prefix = settings.queue.prefix;
  const blockQueue = createBlockRunQueue(redis, prefix);
  const triggerQueue = createTriggerQueue(redis, prefix);
  return {
    redis,
    store: new RunStore(redis, prefix),
    blockQueue,
    triggerQueue,
    prefix,
    async close() {
      await Promise.all([blockQueue.close(), triggerQueue.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
