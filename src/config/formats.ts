import convict from 'convict';
import { checkRedisUrl } from '../redis/redis-url.ts';
import { authTokenProblem } from './auth-token.ts';

/**
 * Strict convict formats for the settings schema. Convict's own `Boolean` turns every env value but
 * "false" into true (so `KUBEDISPATCH_UI_WRITABLE=0` made Bull Board writable), its `nat` accepts 0
 * and its `Number` accepts NaN; these formats reject such values with the key and its env var named.
 */

/** Env values (and strings in the file) a boolean setting accepts, compared case-insensitively. */
export const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, '1': true, false: false, '0': false };

/** The schema item convict passes to a format's validator; only its env var name is used. */
interface SchemaItem {
  env?: string;
}

/** Convict prefixes the key and appends the value; this adds where the value may have come from. */
function fromEnv(item: SchemaItem | undefined): string {
  return item?.env ? ` (env ${item.env})` : '';
}

function check(condition: boolean, message: string, item: SchemaItem | undefined): void {
  if (!condition) throw new Error(`${message}${fromEnv(item)}`);
}

export const strictBoolean = 'strict-boolean';
/** Counts, intervals and timeouts for which 0 would stop the service working (or spin). */
export const positiveInt = 'positive-int';
/** Integers whose 0 means something (no cap, no grace, no retries, no lines). */
export const naturalInt = 'natural-int';
export const nonNegativeNumber = 'non-negative-number';
/** Comma-separated host names (an optional port ignored), such as `http.allowedHosts`. */
export const hostList = 'host-list';
/** A Redis URL ioredis reads as the user meant; its message shows the URL redacted. */
export const redisUrl = 'redis-url';
/** Empty (no token) or a token authTokenProblem accepts; convict masks the value (the setting is sensitive). */
export const authToken = 'auth-token';
/** An http(s) URL without query or fragment, or empty for "not set". */
export const optionalHttpUrl = 'optional-http-url';

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.search === '' &&
      url.hash === '' &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
}

/** Leaves non-numeric text as it is, so validation reports it instead of a NaN. */
function toNumber(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
}

convict.addFormats({
  [strictBoolean]: {
    coerce: (text: string) => BOOLEAN_WORDS[text.trim().toLowerCase()] ?? text,
    validate(value: unknown, item?: SchemaItem) {
      check(typeof value === 'boolean', `must be a boolean: true, false, 1 or 0 (any case)`, item);
    },
  },
  [positiveInt]: {
    coerce: toNumber,
    validate(value: unknown, item?: SchemaItem) {
      check(Number.isInteger(value) && (value as number) >= 1, 'must be an integer of at least 1', item);
    },
  },
  [naturalInt]: {
    coerce: toNumber,
    validate(value: unknown, item?: SchemaItem) {
      check(Number.isInteger(value) && (value as number) >= 0, 'must be an integer of at least 0', item);
    },
  },
  [optionalHttpUrl]: {
    validate(value: unknown, item?: SchemaItem) {
      check(
        typeof value === 'string' && (value === '' || isHttpUrl(value)),
        'must be empty or an http:// or https:// URL without credentials, query or fragment',
        item,
      );
    },
  },
  [nonNegativeNumber]: {
    coerce: toNumber,
    validate(value: unknown, item?: SchemaItem) {
      check(typeof value === 'number' && Number.isFinite(value) && value >= 0, 'must be a number of at least 0', item);
    },
  },
  [hostList]: {
    coerce: (text: string) =>
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    validate(value: unknown, item?: SchemaItem) {
      const entries = Array.isArray(value) ? (value as unknown[]) : [value];
      const bad = entries.find(
        (entry) =>
          typeof entry !== 'string' ||
          !/^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(entry),
      );
      check(
        bad === undefined,
        `must be host names such as kd.example.com or [::1] (no scheme, path or wildcard); ${JSON.stringify(bad)} is not one`,
        item,
      );
    },
  },
  [authToken]: {
    validate(value: unknown, item?: SchemaItem) {
      if (typeof value !== 'string') throw new Error('must be a string');
      const problem = authTokenProblem(value);
      check(problem === undefined, `the token ${problem}`, item);
    },
  },
  [redisUrl]: {
    validate(value: unknown) {
      if (typeof value !== 'string') throw new Error('must be a string');
      checkRedisUrl(value);
    },
  },
});
