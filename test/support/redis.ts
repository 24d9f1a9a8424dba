import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** A key prefix no other test uses. */
  prefix: string;
  redis: Redis;
  /** Opens another connection (subscribers and BullMQ workers need their own). */
  connect(): Redis;
  /** Deletes every key under the prefix and closes the connections this helper opened. */
  cleanup(): Promise<void>;
}

export function testRedis(): TestRedis {
  const url = inject('redisUrl');
  const prefix = `kdtest-${randomUUID().slice(0, 8)}`;
  const opened: Redis[] = [];
  const connect = () => {
    const client = new Redis(url, { maxRetriesPerRequest: null });
    opened.push(client);
    return client;
  };
  const redis = connect();
  return {
    url,
    prefix,
    redis,
    connect,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await Promise.all(opened.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}
