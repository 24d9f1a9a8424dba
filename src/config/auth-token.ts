/**
 * The one rule for the auth token (`http.authToken`, `KUBEDISPATCH_AUTH_TOKEN`): empty (no token, loopback
 * only: see checkListenSecurity) or a secret nobody can guess. Settings loading applies it, so every process
 * refuses a weak token at start, and so does the HTTP server for the token it is handed.
 */

/** Shortest token accepted: 32 characters, as many as `openssl rand -hex 16` prints; we advise 64. */
export const MIN_TOKEN_LENGTH = 32;

/** How the messages tell to make a token. */
export const MAKE_TOKEN_ADVICE = 'make one with `openssl rand -hex 32`';

/**
 * Placeholders that manifests, examples and docs have shipped (compared case-insensitively): a token
 * copied from them is public. Short ones are refused by length already; they are here so that a
 * placeholder keeps being refused if the length rule changes. test/unit/auth-token.test.ts checks
 * that every token written in the repository's docs, examples and manifests is refused.
 */
export const PLACEHOLDER_TOKENS: readonly string[] = ['change-me', 'changeme', '<output of: openssl rand -hex 32>'];

/** Why a configured token is refused, or undefined when it is acceptable. Never quotes the token. */
export function authTokenProblem(token: string): string | undefined {
  if (token === '') return undefined;
  if (PLACEHOLDER_TOKENS.includes(token.trim().toLowerCase())) {
    return `is a placeholder from kubedispatch's examples, known to anyone; ${MAKE_TOKEN_ADVICE}`;
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    const length = `is ${token.length} characters long, shorter than ${MIN_TOKEN_LENGTH}`;
    return `${length}: too easy to guess; ${MAKE_TOKEN_ADVICE}`;
  }
  return undefined;
}
