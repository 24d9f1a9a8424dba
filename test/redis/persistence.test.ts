import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-redis-server.ts';
import { persistenceWarning, readPersistence } from '../../src/redis/persistence.ts';

describe('Redis persistence check at start', () => {
  let server: LocalRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startLocalRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('warns when Redis keeps nothing on disk, or only snapshots, and not with an append-only file', async () => {
    const none = await readPersistence(redis);
    expect(none).toEqual({ aof: false, snapshots: false, source: 'CONFIG' });
    expect(persistenceWarning(none)).toMatch(
      /^Redis keeps nothing on disk \(appendonly no, save ""\): if it restarts, every run, queue job and outcome is lost/,
    );

    await redis.config('SET', 'save', '900 1');
    const snapshots = await readPersistence(redis);
    expect(snapshots).toEqual({ aof: false, snapshots: true, source: 'CONFIG' });
    expect(persistenceWarning(snapshots)).toMatch(
      /only RDB snapshots: a restart loses everything written since the last snapshot/,
    );

    await redis.config('SET', 'appendonly', 'yes');
    const aof = await readPersistence(redis);
    expect(aof.aof).toBe(true);
    expect(persistenceWarning(aof)).toBeUndefined();
  });

  it('falls back to INFO persistence where CONFIG is disabled', async () => {
    const server = await startLocalRedis({ serverArgs: ['--rename-command', 'CONFIG', '""'] });
    const client = new Redis(server.url, { lazyConnect: true });
    try {
      await client.connect();
      await expect(client.call('CONFIG', 'GET', 'save')).rejects.toThrow(/unknown command/i);
      const found = await readPersistence(client);
      expect(found).toEqual({ aof: false, snapshots: undefined, source: 'INFO' });
      expect(persistenceWarning(found)).toMatch(
        /no append-only file and does not say whether it takes RDB snapshots \(CONFIG is disabled\)/,
      );
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
