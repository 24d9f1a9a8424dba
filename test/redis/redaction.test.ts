/**
 * A secret in a Redis URL never shows, however the URL is malformed: not in the redacted form,
 * not in the settings error, not in the error of a real connection attempt. Property-based over
 * generated URLs (seeded, so a failure replays), plus the examples that used to print it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { HIDDEN, redactUrl, scrubSecrets, urlSecrets } from '../../src/errors/redact.ts';
import { connectRedis } from '../../src/redis/connection.ts';
import { freePort } from '../../src/redis/local-redis-server.ts';
import { checkRedisUrl } from '../../src/redis/redis-url.ts';

/** Both ends of every secret: a message showing either shows a piece of it. */
const START = 'Qz9';
const END = 'Jv7';

/** The middle of a secret: any characters, the URL syntax ones most often. */
const secretMiddle = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '@',
        ':',
        '/',
        '?',
        '#',
        '%',
        '%40',
        '%zz',
        ' ',
        '[',
        ']',
        '\\',
        '"',
        "'",
        '\n',
        'é',
        '🔑',
        '=',
        '&',
      ),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));
const secrets = secretMiddle.map((middle) => `${START}${middle}${END}`);

const schemes = fc.constantFrom(
  'redis://',
  'rediss://',
  'REDIS://',
  'http://',
  'https://',
  'unix://',
  'ftp://',
  'x+y.z://',
  '//',
  '',
  'redis:',
  'redis:/',
);
const users = fc.constantFrom('', 'user', 'default', 'a.b-c');
const hosts = fc.constantFrom('127.0.0.1', 'localhost', '[::1]', '::1', '[::1', '127.0.0.1]', '');
const tails = fc.constantFrom(
  '',
  '/0',
  '/1',
  '/abc',
  '/99999999',
  '?db=2',
  '?family=6',
  '/0?x=1#frag',
  '#x',
  '/',
  '//',
);

/** Ways to write a secret into a URL, each as people get them wrong. */
function urlWith(secret: string, port: number): fc.Arbitrary<string> {
  const encoded = encodeURIComponent(secret);
  return fc
    .tuple(schemes, users, hosts, tails, fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7))
    .map(([scheme, user, host, tail, form]) => {
      const address = host === '' ? '' : `${host}:${port}`;
      switch (form) {
        case 0:
          return `${scheme}${user}:${secret}@${address}${tail}`;
        case 1:
          return `${scheme}:${encoded}@${address}${tail}`;
        case 2:
          return `${user}:${secret}@${address}${tail}`;
        case 3:
          return `${scheme}${secret}@${address}${tail}`;
        case 4:
          return `${scheme}${address}${tail === '' ? '/' : tail}?password=${secret}`;
        case 5:
          return `${scheme}${user}:${secret}@${secret}@${address}`;
        case 6:
          return `${scheme}${user}:${encoded}@${address}/${tail}`;
        default:
          return `${scheme}:${secret}@${address}?password=${encoded}${tail}`;
      }
    });
}

function expectHidden(text: string, secret: string): void {
  for (const shown of [secret, encodeURIComponent(secret), START, END])
    expect(text, `shown: ${JSON.stringify(shown)} in ${JSON.stringify(text)}`).not.toContain(shown);
}

function messageOf(run: () => unknown): string {
  try {
    run();
    return '';
  } catch (thrown) {
    return `${(thrown as Error).message}\n${(thrown as Error).stack ?? ''}`;
  }
}

describe('redaction of URLs with credentials', () => {
  let closedPort = 0;
  beforeAll(async () => {
    closedPort = await freePort();
  });

  it('property: the secret never appears in the redacted URL, the settings error or a connection error', async () => {
    await fc.assert(
      fc.asyncProperty(
        secrets.chain((secret) => fc.tuple(fc.constant(secret), urlWith(secret, closedPort))),
        async ([secret, url]) => {
          expectHidden(redactUrl(url), secret);
          expectHidden(
            messageOf(() => checkRedisUrl(url)),
            secret,
          );
          expectHidden(
            messageOf(() => loadSettings({ REDIS_URL: url })),
            secret,
          );
          expectHidden(
            scrubSecrets(`ioredis said: ${url} (${decodeURIComponentOrSame(url)})`, urlSecrets(url)),
            secret,
          );
          const error = await connectRedis(url, { timeoutMs: 300 }).then(
            async (redis) => {
              redis.disconnect();
              return new Error('connected');
            },
            (thrown: unknown) => thrown as Error,
          );
          expectHidden(`${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}`, secret);
        },
      ),
      { seed: 424242, numRuns: 150, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);

  it.each([
    ['http://:PW-Qz9secretJv7@127.0.0.1:6379', 'http://***@127.0.0.1:6379'],
    ['user:PW-Qz9secretJv7@127.0.0.1:6379', '***@127.0.0.1:6379'],
    ['redis://:p@ss-Qz9Jv7@[::1]:6380/2', 'redis://***@[::1]:6380/2'],
    ['redis://:Qz9a?bJv7@host:1', 'redis://***'],
    ['redis://host:1/0?password=Qz9Jv7', 'redis://host:1/0?***'],
    ['rediss://redis.example:6380', 'rediss://redis.example:6380'],
    ['redis://:Qz9%40Jv7@host\n:1', 'redis://***@***'],
  ])('shows %j as %j', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(shown).not.toContain(HIDDEN.repeat(2));
  });

  it('refuses malformed Redis URLs with a message naming REDIS_URL and what is expected', () => {
    for (const [url, why] of [
      ['http://:pw@127.0.0.1:6379', 'not a redis:// or rediss:// URL'],
      ['127.0.0.1:6379/abc', 'socket path'],
      ['redis://127.0.0.1:6379/abc', 'the path must be a database number'],
      ['redis://127.0.0.1:6379/?db=x', 'must be a number'],
      ['redis://:%zz@127.0.0.1:6379', 'a % not followed by two hexadecimal digits'],
      ['redis://:a/b@127.0.0.1:6379', 'not a valid URL'],
      ['', 'empty'],
    ] as const) {
      expect(() => checkRedisUrl(url)).toThrow(why);
      expect(() => loadSettings({ REDIS_URL: url })).toThrow(/^settings: redis\.url: REDIS_URL \(redis\.url\) is /);
    }
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://:p%40ss@[::1]:6379/3',
      'rediss://u:p@redis.example:6380/0?family=6',
      '127.0.0.1:6379',
      'redis://:p@ss@h:1',
    ]) {
      expect(() => checkRedisUrl(url)).not.toThrow();
    }
  });
});

function decodeURIComponentOrSame(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

describe('the Redis database of the URL', () => {
  const url = inject('redisUrl');

  it('is refused when the server does not have it (it used to fall back to database 0 without a word)', async () => {
    const target = new URL(url);
    target.password = 'Qz9hunterJv7';
    target.pathname = '/99';
    const error = (await connectRedis(target.toString(), { timeoutMs: 2000 }).catch(
      (thrown: unknown) => thrown,
    )) as Error;
    expect(error.name).toBe('RedisUrlError');
    expect(error.message).toMatch(
      /^REDIS_URL \(redis\.url\) is redis:\/\/\*\*\*@[^ ]+\/99: the server has no database 99 \(it has \d+: 0 to \d+\)/,
    );
    expectHidden(error.message, 'Qz9hunterJv7');
  });

  it('is used when the server has it', async () => {
    const target = new URL(url);
    target.pathname = '/3';
    const redis = await connectRedis(target.toString(), { timeoutMs: 2000 });
    try {
      expect(String(await redis.client('INFO'))).toMatch(/ db=3 /);
    } finally {
      redis.disconnect();
    }
  });
});
