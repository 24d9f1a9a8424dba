/**
 * The one home of redaction: how a URL that may carry credentials (REDIS_URL, any `user:password@`
 * URL) is shown in messages and logs, and how secrets are scrubbed from text that may quote them
 * (a library's error message). Both hold for malformed input too, where a URL parser would give up
 * or split the string somewhere else than the user meant: nothing here parses the URL.
 */

/** What replaces a hidden part. */
export const HIDDEN = '***';

/** Longest host part shown; a longer one is cut (it is only there to say which server was meant). */
const MAX_SHOWN = 200;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]{0,30}):\/\//;
/** Characters of a host, port and `/db` path. Anything else (quotes, spaces, control characters) is not shown. */
const SHOWN_PART = /^[A-Za-z0-9._~\-[\]:/]*$/;

interface UrlParts {
  scheme: string | undefined;
  /** The string after `scheme://` (the whole string without one). */
  body: string;
  /** Index in `body` of the last '@': everything before it may be credentials. -1 without one. */
  at: number;
  /** Index in `body` of the first '?' or '#': everything from it on may be options such as `?password=`. -1 without one. */
  query: number;
}

function parts(text: string): UrlParts {
  const scheme = SCHEME.exec(text)?.[1];
  const body = scheme === undefined ? text : text.slice(scheme.length + 3);
  return { scheme, body, at: body.lastIndexOf('@'), query: body.search(/[?#]/) };
}

/**
 * A URL fit for a message or a log line, whatever the string is: everything up to the last '@'
 * (user and password, however many '@' or ':' the password has) and everything from the first
 * '?' or '#' (query options may hold a password) are hidden. When a '?' or '#' comes before the
 * last '@', credentials and options cannot be told apart and only the scheme is shown.
 */
export function redactUrl(text: string): string {
  const { scheme, body, at, query } = parts(text);
  const prefix = scheme === undefined ? '' : `${scheme}://`;
  if (query >= 0 && at > query) return `${prefix}${HIDDEN}`;
  let rest = at >= 0 ? body.slice(at + 1) : body;
  const restQuery = rest.search(/[?#]/);
  const hasQuery = restQuery >= 0;
  if (hasQuery) rest = rest.slice(0, restQuery);
  const shown = SHOWN_PART.test(rest) ? (rest.length > MAX_SHOWN ? `${rest.slice(0, MAX_SHOWN)}…` : rest) : HIDDEN;
  return `${prefix}${at >= 0 ? `${HIDDEN}@` : ''}${shown}${hasQuery ? `?${HIDDEN}` : ''}`;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Every part of a URL that may be secret, as written and percent-decoded: the credentials before
 * the last '@', the password after their first ':', the query and each of its values. Used to
 * scrub a library's message that may quote the URL or a part of it.
 */
export function urlSecrets(text: string): string[] {
  const { body, at, query } = parts(text);
  const found: string[] = [];
  if (at >= 0) {
    const credentials = body.slice(0, at);
    found.push(credentials);
    const colon = credentials.indexOf(':');
    if (colon >= 0) found.push(credentials.slice(colon + 1));
  }
  if (query >= 0) {
    const options = body.slice(query + 1);
    found.push(options);
    for (const option of options.split(/[&#;]/)) {
      const equals = option.indexOf('=');
      if (equals >= 0) found.push(option.slice(equals + 1));
    }
  }
  return [...found, ...found.map(decoded), ...found.map((secret) => encodeURIComponent(secret))];
}

/**
 * `text` with every occurrence of each secret hidden. Occurrences are found in the original text
 * and overlapping ones hidden together, so that hiding one secret never breaks up another that
 * overlaps it (a URL's options may begin inside its credentials).
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const spans: [number, number][] = [];
  for (const secret of new Set(secrets)) {
    if (secret === '') continue;
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1))
      spans.push([at, at + secret.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let result = '';
  let shownUpTo = 0;
  for (const [start, end] of spans) {
    if (start >= shownUpTo) {
      result += `${text.slice(shownUpTo, start)}${HIDDEN}`;
    } else if (end <= shownUpTo) {
      continue;
    }
    shownUpTo = Math.max(shownUpTo, end);
  }
  return result + text.slice(shownUpTo);
}
