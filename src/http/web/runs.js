// @ts-check
// The runs page: recent runs, filtered by pipeline, state and trigger, kept live by the list's event stream.
import {
  callApi,
  durationOf,
  element,
  followStream,
  formatDuration,
  apiUrl,
  refusalText,
  RUN_STATES,
  runPageUrl,
  say,
  startedText,
  stateBadge,
  userText,
} from './shared.js';

/**
 * @typedef {import('./shared.js').Run} Run
 * @typedef {{ runs: Run[], next?: number, scanned?: number }} RunList
 */

const FILTERS = /** @type {const} */ (['pipeline', 'state', 'trigger']);
const PAGE_SIZE = 50;
const ACTIVE = new Set(['waiting', 'running']);

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}

const filterForm = /** @type {HTMLFormElement} */ (byId('filters'));
const findForm = /** @type {HTMLFormElement} */ (byId('find'));
const live = byId('live');
const errorBox = byId('error');
const tableBody = /** @type {HTMLTableSectionElement} */ (byId('runs').querySelector('tbody'));
const olderButton = /** @type {HTMLButtonElement} */ (byId('older'));

/** The newest page, as the event stream last sent it, and the older pages the user asked for. */
let newest = /** @type {Run[]} */ ([]);
let older = /** @type {Run[]} */ ([]);
/** @type {number | undefined} */
let next;
/** How many runs the newest page's listing looked at. */
let scanned = 0;
/** @type {{ cancel(): void } | undefined} */
let follower;
/** Values seen for each filter, so its choices grow as runs come in. @type {Record<string, Set<string>>} */
const seen = { pipeline: new Set(), trigger: new Set(), state: new Set(RUN_STATES) };

/** The filters of the address (`?pipeline=&state=&trigger=`), so a filtered view can be bookmarked. */
function chosenFilters() {
  const query = new URLSearchParams(location.search);
  /** @type {Record<string, string>} */
  const chosen = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) chosen[name] = value;
  }
  return chosen;
}

/** @param {Record<string, string | number>} extra */
function listQuery(extra = {}) {
  return new URLSearchParams({
    ...chosenFilters(),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
  }).toString();
}

/** @param {string} name */
function selectOf(name) {
  return /** @type {HTMLSelectElement} */ (filterForm.elements.namedItem(name));
}

function drawFilterChoices() {
  const chosen = chosenFilters();
  for (const name of FILTERS) {
    const select = selectOf(name);
    const values = new Set(seen[name]);
    if (chosen[name]) values.add(chosen[name]);
    const sorted = name === 'state' ? RUN_STATES.filter((state) => values.has(state)) : [...values].sort();
    const current = [...select.options].slice(1).map((option) => option.value);
    if (current.join('\n') !== sorted.join('\n'))
      select.replaceChildren(
        element('option', { value: '' }, 'all'),
        ...sorted.map((value) => element('option', { value }, value || '(none)')),
      );
    select.value = chosen[name] ?? '';
  }
}

/** The project's pipelines and triggers (`GET /pipelines`); runs may name others, which are added as seen. */
async function loadFilterChoices() {
  try {
    const choices = /** @type {{ pipelines?: string[], triggers?: string[] }} */ (await callApi('/pipelines'));
    for (const pipeline of choices.pipelines ?? []) seen['pipeline']?.add(pipeline);
    for (const trigger of choices.triggers ?? []) seen['trigger']?.add(trigger);
    drawFilterChoices();
  } catch {
    // The choices then come from the runs listed alone.
  }
}

/** @param {readonly Run[]} runs */
function remember(runs) {
  for (const run of runs) {
    seen['pipeline']?.add(run.pipelineUuid);
    seen['trigger']?.add(run.trigger);
  }
}

/** @param {Run} run */
function runRow(run) {
  const duration = element('td', ACTIVE.has(run.state) ? { 'data-started': String(run.startedAt ?? '') } : {});
  duration.textContent = formatDuration(durationOf(run));
  return element(
    'tr',
    { 'data-run': String(run.id) },
    element('th', { scope: 'row' }, element('a', { href: runPageUrl(run.id) }, `#${run.id}`)),
    element('td', {}, userText(run.pipelineUuid)),
    element('td', {}, run.trigger ? userText(run.trigger) : 'manual'),
    element('td', {}, stateBadge(run.state)),
    element('td', {}, startedText(run)),
    duration,
    element('td', { class: 'reason' }, userText(run.reason ?? '')),
  );
}

function drawTable() {
  const ids = new Set(newest.map((run) => run.id));
  const shown = [...newest, ...older.filter((run) => !ids.has(run.id))];
  tableBody.replaceChildren(...shown.map(runRow));
  const empty = byId('empty');
  empty.hidden = shown.length > 0;
  empty.textContent =
    next === undefined
      ? 'No runs match.'
      : `No runs match among the ${scanned} most recent; Older runs looks further back.`;
  olderButton.hidden = next === undefined;
  drawFilterChoices();
}

/**
 * Runs that new ones pushed off the newest page, while older pages are shown: they now lie between the
 * two, so they go to the front of the older pages (as those, no longer live) instead of out of sight.
 * A run gone from the page for another reason (it left the filter) is not one of them.
 * @param {readonly Run[]} list the new newest page
 */
function pushedOff(list) {
  const last = list.at(-1);
  if (older.length === 0 || last === undefined) return [];
  const shown = new Set(list.map((run) => run.id));
  return newest.filter((run) => !shown.has(run.id) && run.id < last.id);
}

/** @param {RunList} list */
function showNewest(list) {
  older = [...pushedOff(list.runs), ...older];
  newest = list.runs;
  scanned = list.scanned ?? list.runs.length;
  if (older.length === 0) next = list.next;
  remember(list.runs);
  drawTable();
}

/** @param {unknown} error */
function showError(error) {
  say(errorBox, error instanceof Error ? error.message : String(error));
}

async function load() {
  older = [];
  try {
    showNewest(/** @type {RunList} */ (await callApi(`/runs?${listQuery({ limit: PAGE_SIZE })}`)));
    say(errorBox, '');
  } catch (error) {
    showError(error);
  }
}

/** Follows the list's stream for the filters of the address, in place of the one before. */
function follow() {
  follower?.cancel();
  follower = followStream({
    url: apiUrl(`/runs/events?${listQuery({ limit: PAGE_SIZE })}`),
    events: {
      runs: (event) => {
        showNewest(JSON.parse(event.data));
        say(live, 'Live: new runs and state changes appear as they happen.');
      },
    },
    probe: () => callApi(`/runs?${listQuery({ limit: 1 })}`),
    onReconnecting: () => say(live, 'Reconnecting to live updates…'),
    onRefused: (error) => say(live, refusalText(error, 'The runs list is not there.') ?? ''),
  });
}

filterForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = selectOf(name).value;
    if (value) query.set(name, value);
  }
  const search = query.toString();
  history.pushState(null, '', search ? `?${search}` : location.pathname);
  void load();
  follow();
});
for (const name of FILTERS) selectOf(name).addEventListener('change', () => filterForm.requestSubmit());
window.addEventListener('popstate', () => {
  void load();
  follow();
});

findForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (findForm.elements.namedItem('id'));
  const text = input.value.trim().replace(/^#/, '');
  const findError = byId('find-error');
  // Beyond the safe integers a number is read as a neighbouring one: no run has such an id.
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    say(findError, 'A run id is a positive whole number, such as 12.');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  location.assign(runPageUrl(Number(text)));
});

olderButton.addEventListener('click', async () => {
  if (next === undefined) return;
  olderButton.disabled = true;
  try {
    const page = /** @type {RunList} */ (await callApi(`/runs?${listQuery({ limit: PAGE_SIZE, before: next })}`));
    older = [...older, ...page.runs];
    next = page.next;
    remember(page.runs);
    drawTable();
  } catch (error) {
    showError(error);
  } finally {
    olderButton.disabled = false;
  }
});

// Durations of active runs move on between updates; nothing is fetched for them.
setInterval(() => {
  for (const cell of tableBody.querySelectorAll('td[data-started]')) {
    const started = Number(/** @type {HTMLElement} */ (cell).dataset['started']);
    if (started) cell.textContent = formatDuration(Date.now() - started);
  }
}, 1000);

void loadFilterChoices();
void load();
follow();
