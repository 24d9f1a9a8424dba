import { Redis } from 'ioredis';
import { toError } from '../errors/to-error.ts';

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
}

/**
 * Opens a connection fit for BullMQ (`maxRetriesPerRequest: null`) after checking that Redis
 * answers, so an unreachable server is one clear error naming the URL instead of hanging retries.
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: timeoutMs });
  // The socket's error says why (ECONNREFUSED, ENOTFOUND…); connect() only says the connection closed.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (thrown) {
    redis.disconnect();
    throw new RedisUnreachableError(
      `cannot reach Redis at ${redactRedisUrl(url)} (${(socketError ?? toError(thrown)).message}); start Redis there, or set REDIS_URL ` +
        '(or redis.url in the settings file) to a server that answers',
    );
  }
}
