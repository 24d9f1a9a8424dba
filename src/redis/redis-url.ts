import { redactUrl } from '../errors/redact.ts';

/** How messages name the setting, so that each says what to change. */
export const REDIS_URL_SETTING = 'REDIS_URL (redis.url)';

const EXPECTED =
  'expected redis://[[user]:password@]host[:port][/db] or rediss://… (percent-encode @ : / ? # % in the password)';

/** A Redis URL kubedispatch cannot use; the message shows the URL redacted only. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

function refuse(url: string, why: string): RedisUrlError {
  return new RedisUrlError(`${REDIS_URL_SETTING} is ${redactUrl(url)}: ${why}; ${EXPECTED}`);
}

/**
 * Checks the form of a Redis URL before ioredis sees it: ioredis reads an unknown scheme as a
 * socket path, a host without scheme as a scheme, and `/abc` as database NaN, and its errors then
 * quote the URL, password included. Accepts what ioredis reads as a TCP URL: `redis://` or
 * `rediss://`, or `host:port` without a scheme (and without a path, which ioredis would take for a
 * socket path). The database number itself is checked against the server by `connectRedis`.
 */
export function checkRedisUrl(url: string): void {
  if (url.trim() === '') throw refuse(url, 'empty');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  if (scheme !== undefined && !/^rediss?$/i.test(scheme)) throw refuse(url, 'not a redis:// or rediss:// URL');
  let parsed: URL;
  try {
    parsed = new URL(scheme === undefined ? `redis://${url}` : url);
  } catch {
    throw refuse(url, 'not a valid URL');
  }
  if (parsed.hostname === '') throw refuse(url, 'no host');
  // An '@' that did not end the credentials means a password with an unencoded / ? or #: the URL
  // parser then took a piece of the password for the host, which ioredis would try to reach (and quote).
  const afterHost = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  if (url.includes('@') && ((parsed.username === '' && parsed.password === '') || afterHost.includes('@'))) {
    throw refuse(url, "an '@' is not where the credentials end");
  }
  const path = parsed.pathname;
  if (scheme === undefined && path !== '' && path !== '/')
    throw refuse(url, 'a path without the redis:// scheme would be read as a socket path');
  if (path !== '' && path !== '/' && !/^\/\d{1,5}$/.test(path))
    throw refuse(url, 'the path must be a database number such as /0');
  const db = parsed.searchParams.get('db');
  if (db !== null && !/^\d{1,5}$/.test(db)) throw refuse(url, 'the database (?db=) must be a number such as 0');
  for (const part of [parsed.username, parsed.password]) {
    try {
      decodeURIComponent(part);
    } catch {
      throw refuse(url, 'the user or password has a % not followed by two hexadecimal digits');
    }
  }
}
