import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/local-redis-server.ts';
import { connectRedis, RedisUnreachableError } from '../../src/redis/connection.ts';

describe('Redis connection', () => {
  it('names the URL without its password and says how to fix it when Redis does not answer', async () => {
    const url = `redis://user:hunter2@127.0.0.1:${await freePort()}/0`;
    const error = await connectRedis(url, { timeoutMs: 1000 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RedisUnreachableError);
    expect((error as Error).message).toMatch(
      /^cannot reach Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+\/0 \(connect ECONNREFUSED [^)]+\); start Redis there, or set REDIS_URL/,
    );
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('gives up within its timeout on a server that accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as { port: number };
      const error = await connectRedis(`redis://127.0.0.1:${port}`, { timeoutMs: 300 }).catch(
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(RedisUnreachableError);
      expect((error as Error).message).toContain(
        `cannot reach Redis at redis://127.0.0.1:${port} (no answer within 300 ms)`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
