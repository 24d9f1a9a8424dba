import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not allocate a free port');
  return address.port;
}

/** Answers whether a Redis server responds at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface LocalRedisOptions {
  binary?: string;
  /** Default: a free one. A given port lets tests bring a stopped server back where it was. */
  port?: number;
  /**
   * Keep the data in this directory with an append-only file (kept after stop), so that a server
   * started again on it has the data back, as a persistent Redis would. Default: no persistence.
   */
  persistentDir?: string;
  /** More `redis-server` options, after kubedispatch's (a test's `--rename-command CONFIG ""`, say). */
  serverArgs?: readonly string[];
}

/**
 * Starts a private, throw-away `redis-server` on a loopback port (no persistence, `noeviction` as
 * BullMQ requires). Used by the test harness and the demo when no REDIS_URL is given.
 */
export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const binary = options.binary ?? 'redis-server';
  const port = options.port ?? (await freePort());
  const dir = options.persistentDir ?? mkdtempSync(join(tmpdir(), 'kubedispatch-redis-'));
  const appendonly = options.persistentDir ? 'yes' : 'no';
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      appendonly,
      '--dir',
      dir,
      '--maxmemory-policy',
      'noeviction',
      ...(options.serverArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const spawnError = once(child, 'error').then(([error]) => {
    throw new Error(
      `cannot start ${binary}: ${(error as Error).message}. Install Redis (Debian: apt-get install redis-server) or set REDIS_URL.`,
    );
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (child.exitCode !== null)
        throw new Error(`${binary} exited with code ${child.exitCode} before accepting connections`);
      if (await redisAnswers(url, 200)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${binary} did not answer on ${url} within 5 s`);
  })();
  await Promise.race([ready, spawnError]);
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      if (!options.persistentDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
