import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { redactUrl } from '../errors/redact.ts';

/** Node's codes for a connection that could not be made or broke. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** True for errors that mean "Redis is not reachable" rather than "this command went wrong". */
export function isRedisConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    // ioredis's words for commands it dropped because the connection closed or stayed away.
    error.message === 'Connection is closed.' ||
    error.name === 'MaxRetriesPerRequestError'
  );
}

/**
 * Reports a Redis outage twice: a warning when it starts and a line when every connection answers
 * again. Without it one outage is a flood: ioredis reports every failed reconnection attempt (up
 * to every 50 ms) and BullMQ relays each of them from every queue and worker on the connection.
 */
export class RedisOutageLog {
  readonly #logger: Logger;
  readonly #redis: string;
  readonly #connections = new Set<Redis>();
  #since: number | undefined;

  constructor(logger: Logger, url: string) {
    this.#logger = logger;
    this.#redis = redactUrl(url);
  }

  /** Follows connections: an error on any starts an outage, all of them ready again ends it. */
  watch(...connections: Redis[]): void {
    for (const connection of connections) {
      this.#connections.add(connection);
      connection.on('error', (error: Error) => this.#begin(error));
      connection.on('ready', () => this.#endIfAllReady());
    }
  }

  /**
   * Takes an error reported by a queue, a worker or a failed Redis call: true when it is part of
   * an outage (logged once with the outage), false when it is the caller's to log.
   */
  absorb(error: Error): boolean {
    if (this.#since !== undefined) return true;
    // A connection error while every connection is up is some other connection's trouble (BullMQ's own): the caller's to report.
    if (!isRedisConnectionError(error) || [...this.#connections].every((connection) => connection.status === 'ready'))
      return false;
    this.#begin(error);
    return true;
  }

  #begin(error: Error): void {
    if (this.#since !== undefined) return;
    this.#since = Date.now();
    this.#logger.warn(
      { redis: this.#redis, cause: error.message },
      'Redis unreachable; retrying until it answers (logged once per outage)',
    );
  }

  #endIfAllReady(): void {
    if (this.#since === undefined || [...this.#connections].some((connection) => connection.status !== 'ready')) return;
    this.#logger.info({ redis: this.#redis, downMs: Date.now() - this.#since }, 'Redis answers again');
    this.#since = undefined;
  }
}
