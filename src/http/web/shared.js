// @ts-check
// What both runs pages share: their paths, the words and symbols of every state, formatting, API calls.

/**
 * @typedef {'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled'} RunState
 * @typedef {'pending' | 'queued' | 'dispatching' | 'running' | 'retrying' | 'succeeded' | 'failed'
 *   | 'upstream_failed' | 'condition_failed' | 'cancelled'} BlockState
 * @typedef {{ reason?: string, message?: string, exitCode?: number, finishedAt?: number }} AttemptOutcome
 * @typedef {{ attempt: number, jobName?: string, namespace?: string, cluster?: string, startedAt?: number,
 *   finishedAt?: number,
 *   outcome?: AttemptOutcome }} AttemptRecord
 * @typedef {{ blockUuid: string, blockRunId: number, upstream: string[], state: BlockState, attempt: number,
 *   maxAttempts: number, attemptBase?: number, jobName?: string, namespace?: string, cluster?: string,
 *   reason?: string, message?: string,
 *   exitCode?: number, failedPods?: number, logTail?: string[], events?: string[], queuedAt?: number,
 *   startedAt?: number, finishedAt?: number, attempts: AttemptRecord[] }} BlockRun
 * @typedef {{ id: number, pipelineUuid: string, trigger: string, state: RunState, reason?: string,
 *   executionDate?: string, createdAt: number, startedAt?: number, finishedAt?: number, retries?: number,
 *   retriedAt?: number }} Run
 * @typedef {Run & { blocks: BlockRun[] }} RunWithBlocks
 */

/** The paths the server filled into the page shell (`data-*` of `<body>`): the one spelling is the server's. */
export function pagePaths() {
  const data = document.body.dataset;
  return {
    runs: data['runsPath'] ?? '',
    api: data['apiPath'] ?? '',
    ui: data['uiPath'] ?? '',
  };
}

/**
 * An absolute address of this dashboard for the API's `path`: from the origin, which never holds user
 * info, so a page opened as `http://user:token@host/…` makes no request that carries the token in its URL.
 * @param {string} path under the API path, e.g. `/runs/12`
 */
export function apiUrl(path) {
  return new URL(`${pagePaths().api}${path}`, location.origin).href;
}

/** @param {number} runId */
export function runPageUrl(runId) {
  return `${pagePaths().runs}/${runId}`;
}

/**
 * Every state as words and a symbol, so that colour is never the only sign of it. Blocks and runs share
 * the states they have in common (and so their colours: CSS classes `state-<name>`).
 * @type {Readonly<Record<string, { label: string, symbol: string }>>}
 */
export const STATES = {
  waiting: { label: 'waiting', symbol: '◷' },
  pending: { label: 'pending', symbol: '◷' },
  queued: { label: 'queued', symbol: '…' },
  dispatching: { label: 'dispatching', symbol: '↗' },
  running: { label: 'running', symbol: '▶' },
  retrying: { label: 'retrying', symbol: '↻' },
  succeeded: { label: 'succeeded', symbol: '✓' },
  failed: { label: 'failed', symbol: '✗' },
  upstream_failed: { label: 'upstream failed', symbol: '⤓' },
  condition_failed: { label: 'condition failed', symbol: '⊘' },
  cancelled: { label: 'cancelled', symbol: '■' },
};

/** The block states in the order the legend shows them: from not started to finished. */
export const BLOCK_STATES = /** @type {BlockState[]} */ ([
  'pending',
  'queued',
  'dispatching',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'upstream_failed',
  'condition_failed',
  'cancelled',
]);

export const RUN_STATES = /** @type {RunState[]} */ (['waiting', 'running', 'succeeded', 'failed', 'cancelled']);

/** @param {string} state */
export function stateText(state) {
  const known = STATES[state];
  return known ? `${known.symbol} ${known.label}` : state;
}

/**
 * A badge: the state's symbol and words on its colour.
 * @param {string} state
 */
export function stateBadge(state) {
  return element('span', { class: `badge state-${state}` }, stateText(state));
}

/**
 * The last attempt number the block may reach: after a retry of its run its attempts count on from
 * `attemptBase`, each go with `maxAttempts` of its own.
 * @param {BlockRun} block
 */
export function lastAttempt(block) {
  return (block.attemptBase ?? 0) + block.maxAttempts;
}

/**
 * A time in the browser's time zone, named (`16:38:49 UTC`, `11:38:49 EST`): the run's execution date
 * beside it is Mage's, in UTC, and an operator must not take one for the other.
 * @param {number | undefined} ms
 */
export function formatTime(ms) {
  if (ms === undefined) return '—';
  const date = new Date(ms);
  const today = new Date();
  const time = date.toLocaleTimeString(undefined, { hour12: false, timeZoneName: 'short' });
  return date.toDateString() === today.toDateString() ? time : `${date.toLocaleDateString()} ${time}`;
}

/**
 * When a run started; one that has not yet (it waits for a place under its pipeline's run limit) or never
 * did (cancelled while waiting) says so, beside when it was created.
 * @param {Run} run
 */
export function startedText(run) {
  if (run.startedAt !== undefined) return formatTime(run.startedAt);
  return `${run.state === 'waiting' ? 'not yet' : 'never'} (created ${formatTime(run.createdAt)})`;
}

/** @param {number | undefined} ms */
export function formatDuration(ms) {
  if (ms === undefined || ms < 0) return '—';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * How long something took, or has taken so far while it runs.
 * @param {{ startedAt?: number, finishedAt?: number }} timed
 */
export function durationOf(timed) {
  if (timed.startedAt === undefined) return undefined;
  return (timed.finishedAt ?? Date.now()) - timed.startedAt;
}

/**
 * Creates an element; `attributes` are set as attributes (never as HTML), children as text or nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | undefined>} [attributes]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/**
 * Text users wrote (trigger names, block uuids, reasons), isolated from what is around it: a right-to-left
 * override in it then turns only itself around, not the page's own words beside it.
 * @param {string} text
 */
export function userText(text) {
  return element('bdi', {}, text);
}

/**
 * Several such texts, each isolated, separated by commas; `empty` when there are none.
 * @param {readonly string[]} texts
 * @param {string} empty
 * @returns {(Node | string)[]}
 */
export function userTexts(texts, empty) {
  if (texts.length === 0) return [empty];
  return texts.flatMap((text, index) => (index === 0 ? [userText(text)] : [', ', userText(text)]));
}

/** An answer of the API that was not a success, with the message it gave. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the API with the browser's own credentials (the login cookie or cached Basic auth); writes say
 * JSON, as the API requires of every write.
 * @param {string} path under the API path, e.g. `/runs/12`
 * @param {{ method?: 'GET' | 'POST' }} [options]
 * @returns {Promise<unknown>}
 */
export async function callApi(path, options = {}) {
  const method = options.method ?? 'GET';
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      credentials: 'same-origin',
      headers: method === 'GET' ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'the dashboard did not answer; is it running?');
  }
  /** @type {any} */
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const message =
    typeof body?.message === 'string'
      ? body.message
      : Array.isArray(body?.problems)
        ? body.problems.join('; ')
        : `${response.status} ${response.statusText}`;
  throw new ApiError(response.status, typeof body?.error === 'string' ? body.error : 'http_error', message);
}

/**
 * Shows a message in a live region (`role="status"` or `role="alert"`); empty text hides it.
 * @param {HTMLElement} region
 * @param {string} text
 */
export function say(region, text) {
  region.textContent = text;
  region.hidden = text === '';
}

/** The pause before the first re-open of a closed event stream, and the longest it grows to. */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
/** Answers that say the data is gone or refused: opening the stream again would get them again. */
const FINAL_STATUSES = new Set([400, 401, 404]);

/**
 * What a page says when the API refuses its stream for good; undefined for an answer worth retrying.
 * @param {unknown} error
 * @param {string} notFound what a 404 means on this page
 */
export function refusalText(error, notFound) {
  if (!(error instanceof ApiError) || !FINAL_STATUSES.has(error.status)) return undefined;
  if (error.status === 404) return notFound;
  if (error.status === 401) return 'Your login was refused or has expired: log in again to see live updates.';
  return `The filter is not valid (${error.message}): choose other filters.`;
}

/**
 * Follows an event stream and keeps following it. The browser re-opens a dropped stream by itself, but
 * gives up for good on any answer but 200 (a 503 while the dashboard restarts, its stream cap full): then
 * `probe` asks the API what it says outside the stream, and unless that answer is final (400, 401, 404,
 * handed to `onRefused`) the stream is opened again after a pause that doubles from 1 s to 30 s and
 * starts over once a message arrives. A page that replaces its stream cancels the old follower first.
 * @param {{
 *   url: string,
 *   events: Record<string, (event: MessageEvent<string>) => void>,
 *   probe: () => Promise<unknown>,
 *   onReconnecting: () => void,
 *   onRefused: (error: ApiError) => void,
 * }} options
 * @returns {{ cancel(): void }}
 */
export function followStream(options) {
  let pause = RECONNECT_FIRST_MS;
  let cancelled = false;
  /** @type {EventSource | undefined} */
  let source;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function closed() {
    options.onReconnecting();
    try {
      await options.probe();
    } catch (error) {
      if (cancelled) return;
      if (error instanceof ApiError && FINAL_STATUSES.has(error.status)) return options.onRefused(error);
    }
    if (cancelled) return;
    timer = setTimeout(open, pause);
    pause = Math.min(pause * 2, RECONNECT_MAX_MS);
  }

  function open() {
    const stream = new EventSource(options.url);
    source = stream;
    for (const [name, handle] of Object.entries(options.events))
      stream.addEventListener(name, (event) => {
        if (cancelled) return;
        pause = RECONNECT_FIRST_MS;
        handle(/** @type {MessageEvent<string>} */ (event));
      });
    stream.addEventListener('error', () => {
      if (cancelled) return;
      if (stream.readyState === EventSource.CLOSED) void closed();
      else options.onReconnecting();
    });
  }

  open();
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
