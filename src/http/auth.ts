import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { authTokenProblem } from '../config/auth-token.ts';

/**
 * Cookie a browser gets from `/login?token=…` (or `/ui/login?token=…`), so the runs pages, Bull Board and
 * the API calls of the runs pages are authenticated without a header. Scoped to `/`: the pages call /api/v1.
 */
export const TOKEN_COOKIE = 'kubedispatch_token';

/** What browsers prompt for: the password is the token, any user name. */
export const BASIC_CHALLENGE = 'Basic realm="kubedispatch", charset="UTF-8"';
const BEARER_CHALLENGE = 'Bearer realm="kubedispatch"';

export class InsecureListenError extends Error {
  override name = 'InsecureListenError';
}

/** Only these addresses are reachable from this machine alone. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Refuses a weak token (authTokenProblem), and serving beyond loopback without a token: anyone who can
 * reach the port could start and cancel runs.
 */
export function checkListenSecurity(host: string, token: string): void {
  const problem = authTokenProblem(token);
  if (problem !== undefined) {
    throw new InsecureListenError(
      `refusing to start: the auth token (KUBEDISPATCH_AUTH_TOKEN / http.authToken) ${problem}`,
    );
  }
  if (token || isLoopbackHost(host)) return;
  throw new InsecureListenError(
    `refusing to listen on ${host} without an auth token: anyone who can reach it could start and cancel runs. ` +
      'Set KUBEDISPATCH_AUTH_TOKEN (or http.authToken in the settings file) to a long random secret, ' +
      'e.g. `openssl rand -hex 32`, or listen on 127.0.0.1 (KUBEDISPATCH_HTTP_HOST / --host).',
  );
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;
}

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    // A cookie that is not valid percent-encoding is no token, not a server error.
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The token a request presents: `Authorization: Bearer`, Basic auth's password (any user name), or the cookie. */
function presentedToken(request: Request): string | undefined {
  const header = request.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return cookieValue(request, TOKEN_COOKIE);
}

function unauthorized(response: Response, challenge: string): void {
  response
    .status(401)
    .set('WWW-Authenticate', challenge)
    .json({ error: 'unauthorized', message: 'send the auth token as "Authorization: Bearer <token>"' });
}

/**
 * The API's challenge: Bearer for scripts; Basic for the dashboard's own pages (a same-origin fetch or
 * EventSource, which browsers mark `Sec-Fetch-Site: same-origin`). A browser caches Basic credentials for
 * the folder of the page it was challenged on (`/runs/`), so it sends none with the first request to
 * /api/v1; answering that one with the same Basic realm makes it resend what it cached, without a prompt.
 */
export function apiChallenge(request: Request): string {
  return request.headers['sec-fetch-site'] === 'same-origin' ? BASIC_CHALLENGE : BEARER_CHALLENGE;
}

/**
 * Requires the token on every request it guards; with no token configured (loopback only, see
 * checkListenSecurity) everything passes. `challenge` lets browsers prompt for Basic auth on the pages.
 */
export function requireToken(
  token: string,
  challenge: string | ((request: Request) => string) = BEARER_CHALLENGE,
): RequestHandler {
  return (request, response, next) => {
    if (!token) return next();
    const given = presentedToken(request);
    if (given !== undefined && tokenMatches(given, token)) return next();
    unauthorized(response, typeof challenge === 'string' ? challenge : challenge(request));
  };
}

/**
 * Whether the browser reached the dashboard over HTTPS: directly, or through a TLS-terminating proxy (an
 * Ingress) that says so in `X-Forwarded-Proto`. Express' `trust proxy` stays off (it would also change
 * `request.ip` and the host); a client that forges the header only gets a cookie it cannot send back.
 */
export function reachedOverHttps(request: Request): boolean {
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '').split(',')[0];
  return request.secure || forwarded?.trim().toLowerCase() === 'https';
}

/**
 * `GET /login?token=…` (and `/ui/login?token=…`): checks the token, keeps it in an HttpOnly, SameSite=Strict
 * cookie for the whole dashboard (the pages and the API they call), Secure when reached over HTTPS, and sends
 * the browser on to `landing`, where the token is no longer in the address bar.
 */
export function login(token: string, landing: string): RequestHandler {
  return (request, response) => {
    const given = typeof request.query['token'] === 'string' ? request.query['token'] : '';
    if (token && !tokenMatches(given, token)) return unauthorized(response, BEARER_CHALLENGE);
    if (token) {
      response.cookie(TOKEN_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: reachedOverHttps(request),
      });
    }
    response.redirect(303, landing);
  };
}
