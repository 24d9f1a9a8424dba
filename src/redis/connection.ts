import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redactUrl, scrubSecrets, urlSecrets } from '../errors/redact.ts';
import { toError } from '../errors/to-error.ts';
import { checkRedisUrl, REDIS_URL_SETTING, RedisUrlError } from './redis-url.ts';

/** How long a process waits at start for Redis to answer before it gives up with `RedisUnreachableError`. */
export const REDIS_START_TIMEOUT_MS = 5000;

/** Longest pause between two reconnection attempts while Redis is down (ioredis's own default). */
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
  /** The URL that did not answer, password redacted. */
  readonly redis: string;

  constructor(redis: string, cause: string) {
    super(
      `cannot reach Redis at ${redis} (${cause}); start Redis there, or set ${REDIS_URL_SETTING} to a server that answers`,
    );
    this.redis = redis;
  }
}

export interface ConnectRedisOptions {
  /** Start-up gives up after this long; also the timeout of each later connection attempt. */
  timeoutMs?: number;
  /**
   * How many reconnection attempts a command waits for before it fails. BullMQ needs null (wait
   * however long Redis is away); a number makes commands fail during an outage.
   */
  maxRetriesPerRequest?: number | null;
}

/** Connections told to stop reconnecting (see `stopReconnecting`). */
const givenUp = new WeakSet<Redis>();

/**
 * Opens a connection once Redis answers a PING, or throws one `RedisUnreachableError` naming the
 * URL (without its password) and the cause, after at most `timeoutMs`: a process that cannot
 * reach Redis at start exits with that instead of retrying without end. Later outages are
 * retried; `RedisOutageLog` reports them. A malformed URL, or a database the server does not
 * have, is a `RedisUrlError` (ioredis would fall back to database 0 without a word).
 */
export async function connectRedis(url: string, options: ConnectRedisOptions = {}): Promise<Redis> {
  checkRedisUrl(url);
  const timeoutMs = options.timeoutMs ?? REDIS_START_TIMEOUT_MS;
  const redis: Redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    connectTimeout: timeoutMs,
    // Duplicates (BullMQ's worker connections) share this function, so they give up with this one.
    retryStrategy: (attempt: number) => (givenUp.has(redis) ? null : Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS)),
  });
  // The socket's error says why (ECONNREFUSED, ENOTFOUND, WRONGPASS…); connect() only says the
  // connection closed. Later errors are for RedisOutageLog; without a listener ioredis prints each.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // The deadline also bounds a server that accepts the connection but never answers.
    await Promise.race([redis.connect().then(() => redis.ping()), deadline]);
  } catch (thrown) {
    givenUp.add(redis);
    redis.disconnect();
    // A library's message may quote the URL it was given (a socket path, a host it could not resolve).
    throw new RedisUnreachableError(
      redactUrl(url),
      scrubSecrets((socketError ?? toError(thrown)).message, urlSecrets(url)),
    );
  } finally {
    clearTimeout(timer);
  }
  try {
    await checkDatabase(redis, url);
  } catch (thrown) {
    givenUp.add(redis);
    redis.disconnect();
    throw thrown;
  }
  return redis;
}

/**
 * ioredis selects the URL's database once connected, but when the server refuses it (index out of
 * range) it only emits an error and goes on with database 0, where another installation's keys
 * may be. Selecting it again here turns that into a clear error.
 */
async function checkDatabase(redis: Redis, url: string): Promise<void> {
  const db = Number(redis.options.db ?? 0);
  if (db === 0) return;
  try {
    await redis.select(db);
  } catch (thrown) {
    const count = await redis.config('GET', 'databases').then(
      (reply) => (reply as string[])[1],
      () => undefined,
    );
    const has = count === undefined ? '' : ` (it has ${count}: 0 to ${Number(count) - 1})`;
    throw new RedisUrlError(
      `${REDIS_URL_SETTING} is ${redactUrl(url)}: the server has no database ${db}${has}: ${scrubSecrets(toError(thrown).message, urlSecrets(url))}; use a database number the server has`,
    );
  }
}

/** Resolves when Redis answers a PING within `timeoutMs`; rejects saying why not (for readiness probes). */
export async function checkRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For stopping: a connection (and its duplicates) made by `connectRedis` stops reconnecting, so
 * that while Redis is down its commands fail at the next attempt (within a few seconds) instead of
 * waiting for Redis, and the stop does not hang on them. With Redis up nothing changes.
 */
export function stopReconnecting(redis: Redis): void {
  givenUp.add(redis);
}

/**
 * Closes a BullMQ worker. Normally it waits for the jobs in hand to be handed back; while Redis is
 * down that wait never ends (BullMQ waits for its blocking connection to close, and ioredis never
 * reports the close of a connection that is between two reconnection attempts), so the worker is
 * then closed without waiting: its jobs' locks expire and another worker takes them over.
 */
export async function closeWorker(worker: Worker, redis: Redis): Promise<void> {
  await worker.close(redis.status !== 'ready');
}

/** Closes a connection made by `connectRedis`: politely when Redis answers, within seconds when it is down. */
export async function closeRedis(redis: Redis): Promise<void> {
  stopReconnecting(redis);
  await redis.quit().catch(() => redis.disconnect());
}
