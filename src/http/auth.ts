import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { authTokenProblem } from '../config/auth-token.ts';

/** Cookie a browser gets from `/ui/login?token=…`, so Bull Board's page and assets load without a header. */
export const TOKEN_COOKIE = 'kubedispatch_token';

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
 * Requires the token on every request it guards; with no token configured (loopback only, see
 * checkListenSecurity) everything passes. `challenge` lets browsers prompt for Basic auth on /ui.
 */
export function requireToken(token: string, challenge = 'Bearer realm="kubedispatch"'): RequestHandler {
  return (request, response, next) => {
    if (!token) return next();
    const given = presentedToken(request);
    if (given !== undefined && tokenMatches(given, token)) return next();
    unauthorized(response, challenge);
  };
}

/** `GET /ui/login?token=…`: checks the token and keeps it in an HttpOnly cookie scoped to /ui. */
export function uiLogin(token: string, uiPath: string): RequestHandler {
  return (request, response) => {
    const given = typeof request.query['token'] === 'string' ? request.query['token'] : '';
    if (token && !tokenMatches(given, token)) return unauthorized(response, 'Bearer realm="kubedispatch"');
    if (token) {
      response.cookie(TOKEN_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        path: uiPath,
        secure: request.secure,
      });
    }
    response.redirect(303, `${uiPath}/`);
  };
}
