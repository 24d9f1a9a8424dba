import type { Request, RequestHandler } from 'express';
import { reachedOverHttps, TOKEN_COOKIE } from './auth.ts';

/**
 * What the browser is told after logging out. Served without the token (the browser no longer has it),
 * so it names nothing of the dashboard's and loads nothing: no stylesheet or script, under a CSP that
 * allows none.
 */
function loggedOutPage(runsPath: string): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Logged out · kubedispatch</title></head>
  <body>
    <h1>You are logged out</h1>
    <p>The login cookie of this browser is cleared.</p>
    <p>If you logged in with the browser's password prompt (Basic auth), the browser keeps what you typed
      until it is closed: the dashboard cannot make it forget. Close the browser to log out fully.</p>
    <p><a href="${runsPath}">Log in again</a></p>
  </body>
</html>
`;
}

/**
 * `POST /logout`: clears the login cookie (set by `/login` for `/`) and sends the browser to the
 * logged-out page. A write like the others: the guards in front of it refuse it from another site.
 */
export function logout(loggedOutPath: string): RequestHandler {
  return (request: Request, response) => {
    response.clearCookie(TOKEN_COOKIE, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: reachedOverHttps(request),
    });
    response.redirect(303, loggedOutPath);
  };
}

/** `GET /logged-out`: says the cookie is gone and what the server cannot clear. */
export function loggedOut(runsPath: string): RequestHandler {
  const page = loggedOutPage(runsPath);
  return (_request, response) => {
    response
      .set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page);
  };
}
