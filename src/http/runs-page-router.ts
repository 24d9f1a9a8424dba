import { readFileSync } from 'node:fs';
import { Router, type Response } from 'express';
import { parseRunId } from './run-id.ts';

/** Where the pages' scripts and stylesheet are served, under the runs page's own path (see below). */
const ASSETS_SEGMENT = 'assets';

/** Every file the pages load, with its content type; nothing else under web/ is served. */
const ASSET_TYPES: Readonly<Record<string, string>> = {
  'web.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml; charset=utf-8',
  'shared.js': 'text/javascript; charset=utf-8',
  'runs.js': 'text/javascript; charset=utf-8',
  'run.js': 'text/javascript; charset=utf-8',
  'dag-layout.js': 'text/javascript; charset=utf-8',
  'dag-view.js': 'text/javascript; charset=utf-8',
  'block-details.js': 'text/javascript; charset=utf-8',
};

/**
 * Scripts and styles only from this server, none inline, nothing framed; the pages talk to their own
 * origin alone (fetch and EventSource: connect-src), so they work offline.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface RunsPageOptions {
  /** Where the router is mounted (RUNS_PAGE_PATH): the pages link to it. */
  runsPath: string;
  /** The JSON API the pages call. */
  apiPath: string;
  /** Bull Board, linked from the pages. */
  uiPath: string;
  /** Where the pages' Log out button posts. */
  logoutPath: string;
}

function readWebFile(name: string): string {
  return readFileSync(new URL(`./web/${name}`, import.meta.url), 'utf8');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Fills the `{{name}}` placeholders of a page shell; a placeholder without a value is a bug here, not a blank. */
function fill(shell: string, values: Record<string, string>): string {
  return shell.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`page shell placeholder {{${name}}} has no value`);
    return escapeAttribute(value);
  });
}

function withPageHeaders(response: Response): Response {
  return response
    .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .set('X-Content-Type-Options', 'nosniff')
    .set('Referrer-Policy', 'same-origin')
    .set('Cache-Control', 'no-cache');
}

/**
 * The runs web view: `/` lists runs, `/:id` shows one run's DAG, `/assets/*` their scripts and
 * stylesheet. Static shells and ES modules read once at start; the pages fetch everything else from
 * the API with the browser's own credentials (cookie or cached Basic auth), so no token is in a page.
 */
export function runsPageRouter(options: RunsPageOptions): Router {
  const paths = {
    runs: options.runsPath,
    api: options.apiPath,
    ui: options.uiPath,
    logout: options.logoutPath,
    assets: `${options.runsPath}/${ASSETS_SEGMENT}`,
  };
  // The header is text of the shells (its placeholders filled with theirs); the list page never changes.
  const header = readWebFile('header.html').trimEnd();
  const shell = (name: string): string => readWebFile(name).replace('{{header}}', header);
  const listPage = fill(shell('runs.html'), { ...paths, runsCurrent: 'page' });
  const runShell = shell('run.html');
  const assets = new Map(Object.entries(ASSET_TYPES).map(([name, type]) => [name, { type, body: readWebFile(name) }]));
  const router = Router();

  router.get('/', (_request, response) => {
    withPageHeaders(response).type('html').send(listPage);
  });
  router.get(`/${ASSETS_SEGMENT}/:file`, (request, response, next) => {
    const asset = assets.get(String(request.params['file']));
    if (!asset) return next();
    withPageHeaders(response).type(asset.type).send(asset.body);
  });
  router.get('/:id', (request, response, next) => {
    // Anything but a run id is no run page.
    const runId = parseRunId(String(request.params['id']));
    if (runId === undefined) return next();
    withPageHeaders(response)
      .type('html')
      .send(fill(runShell, { ...paths, runsCurrent: 'false', runId: String(runId) }));
  });
  return router;
}
