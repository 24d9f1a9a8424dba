/** Where the dashboard serves the runs web view; Bull Board and `/` link here. */
export const RUNS_PAGE_PATH = '/runs';

export function runPagePath(runId: number): string {
  return `${RUNS_PAGE_PATH}/${runId}`;
}

/** The JSON API the runs pages call. */
export const API_PATH = '/api/v1';

/** `GET /login?token=…` sets the login cookie and lands on the runs page. */
export const LOGIN_PATH = '/login';

/** `POST /logout` clears the login cookie and lands on `LOGGED_OUT_PATH`, which says what it could not clear. */
export const LOGOUT_PATH = '/logout';
export const LOGGED_OUT_PATH = '/logged-out';
