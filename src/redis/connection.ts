import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { toError } from '../errors/to-error.ts';

/** How long a process waits at start for Redis to answer before it gives up with `RedisUnreachableError`. */
export const REDIS_START_TIMEOUT_MS = 5000;

/** Longest pause between two reconnection attempts while Redis is down (ioredis's own default). */
const MAX_RECONNECT_DELAY_MS = 2000;

/** The URL with any password replaced, fit for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
  /** The URL that did not answer, password redacted. */
  readonly redis: string;

  constructor(redis: string, cause: string) {
    super(
      `cannot reach Redis at ${redis} (${cause}); start Redis there, or set REDIS_URL ` +
        '(or redis.url in the settings file) to a server that answers',
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
 * retried; `RedisOutageLog` reports them.
 */
export async function connectRedis(url: string, options: ConnectRedisOptions = {}): Promise<Redis> {
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
    return redis;
  } catch (thrown) {
    givenUp.add(redis);
    redis.disconnect();
    throw new RedisUnreachableError(redactRedisUrl(url), (socketError ?? toError(thrown)).message);
  } finally {
    clearTimeout(timer);
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
