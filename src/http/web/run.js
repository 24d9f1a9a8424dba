// @ts-check
// The run page: header, actions, the DAG, block details and the table of blocks, kept live by the run's
// event stream (no polling).
import { showBlockDetails } from './block-details.js';
import { DagView } from './dag-view.js';
import {
  apiUrl,
  BLOCK_STATES,
  callApi,
  durationOf,
  element,
  formatDuration,
  followStream,
  formatTime,
  lastAttempt,
  refusalText,
  say,
  startedText,
  STATES,
  stateBadge,
  stateText,
  userText,
  userTexts,
} from './shared.js';

/**
 * @typedef {import('./shared.js').RunWithBlocks} RunWithBlocks
 * @typedef {import('./shared.js').BlockRun} BlockRun
 */

const ACTIVE_RUN_STATES = new Set(['waiting', 'running']);
const RETRYABLE_RUN_STATES = new Set(['failed', 'cancelled']);
/** Blocks that are done: a retry runs every other block of the run again. */
const DONE_BLOCK_STATES = new Set(['succeeded', 'condition_failed']);

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}

const runId = Number(document.body.dataset['runId']);
const live = byId('live');
const notice = byId('notice');
const errorBox = byId('error');
const details = byId('block-details');
const tableBody = /** @type {HTMLTableSectionElement} */ (byId('blocks').querySelector('tbody'));
const cancelButton = /** @type {HTMLButtonElement} */ (byId('cancel'));
const retryButton = /** @type {HTMLButtonElement} */ (byId('retry'));
const dag = new DagView(/** @type {SVGSVGElement} */ (/** @type {unknown} */ (byId('dag'))), openBlock);

/** @type {RunWithBlocks | undefined} */
let run;
/** @type {string | undefined} */
let openedBlock;
/** What the details panel shows, so that it is redrawn only when its block changed. */
let detailsShown = '';
/** @type {Map<string, { row: HTMLTableRowElement, signature: string }>} */
const rows = new Map();

function drawLegend() {
  byId('legend').replaceChildren(
    ...BLOCK_STATES.map((state) =>
      element('li', {}, element('span', { class: `swatch state-${state}`, 'aria-hidden': 'true' }), stateText(state)),
    ),
  );
}

/** @param {RunWithBlocks} shown */
function drawHeader(shown) {
  document.title = `Run ${shown.id} (${STATES[shown.state]?.label ?? shown.state}) · kubedispatch`;
  byId('run-pipeline').replaceChildren('of ', userText(shown.pipelineUuid));
  byId('run-state').replaceChildren(stateBadge(shown.state));
  const counts = new Map();
  for (const block of shown.blocks) counts.set(block.state, (counts.get(block.state) ?? 0) + 1);
  const summary = BLOCK_STATES.filter((state) => counts.has(state))
    .map((state) => `${counts.get(state)} ${STATES[state]?.label}`)
    .join(', ');
  /** @type {[string, string | Node | undefined][]} */
  const facts = [
    ['Trigger', shown.trigger ? userText(shown.trigger) : 'manual'],
    ['Execution date', shown.executionDate?.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC')],
    ['Started', startedText(shown)],
    ['Duration', formatDuration(durationOf(shown))],
    ['Blocks', `${shown.blocks.length}: ${summary}`],
    ['Reason', shown.reason && userText(shown.reason)],
    [
      'Retried',
      shown.retries
        ? `${shown.retries} time${shown.retries === 1 ? '' : 's'}, last at ${formatTime(shown.retriedAt)}`
        : undefined,
    ],
  ];
  byId('run-facts').replaceChildren(
    ...facts
      .filter(([, value]) => value !== undefined && value !== '')
      .flatMap(([term, value]) => [
        element('dt', {}, term),
        element('dd', term === 'Duration' ? { id: 'run-duration' } : {}, value ?? ''),
      ]),
  );
  const active = ACTIVE_RUN_STATES.has(shown.state);
  cancelButton.disabled = !active;
  cancelButton.title = active
    ? 'Stop the run: its unfinished blocks are cancelled'
    : 'Only a waiting or running run can be cancelled';
  const retryable = RETRYABLE_RUN_STATES.has(shown.state) && shown.blocks.some((b) => !DONE_BLOCK_STATES.has(b.state));
  retryButton.disabled = !retryable;
  retryButton.title = retryable
    ? 'Run the blocks that did not get done again, in this run'
    : 'Only a failed or cancelled run with blocks that did not get done can be retried';
}

/** @param {BlockRun} block */
function rowSignature(block) {
  return JSON.stringify([
    block.state,
    block.attempt,
    lastAttempt(block),
    block.startedAt,
    block.finishedAt,
    block.reason,
  ]);
}

/** @param {BlockRun} block */
function rowCells(block) {
  const open = element(
    'button',
    { type: 'button', class: 'link', 'aria-controls': 'block-details' },
    userText(block.blockUuid),
  );
  open.addEventListener('click', () => openBlock(block.blockUuid));
  return [
    element('th', { scope: 'row' }, open),
    element('td', {}, stateBadge(block.state)),
    element('td', {}, block.attempt > 0 ? `${block.attempt}/${lastAttempt(block)}` : '—'),
    element('td', {}, ...userTexts(block.upstream, '—')),
    element('td', {}, formatTime(block.startedAt)),
    element('td', {}, formatDuration(durationOf(block))),
    element('td', {}, userText(block.reason ?? '')),
  ];
}

/** Rebuilds the table when the blocks changed, else only the rows whose block changed. @param {RunWithBlocks} shown */
function drawTable(shown) {
  const sameBlocks = shown.blocks.length === rows.size && shown.blocks.every((block) => rows.has(block.blockUuid));
  if (!sameBlocks) {
    rows.clear();
    tableBody.replaceChildren(
      ...shown.blocks.map((block) => {
        const row = element('tr', {}, ...rowCells(block));
        rows.set(block.blockUuid, { row, signature: rowSignature(block) });
        return row;
      }),
    );
    return;
  }
  for (const block of shown.blocks) {
    const drawn = rows.get(block.blockUuid);
    const signature = rowSignature(block);
    if (!drawn || drawn.signature === signature) continue;
    drawn.signature = signature;
    drawn.row.replaceChildren(...rowCells(block));
  }
}

function drawDetails() {
  const block = run?.blocks.find((candidate) => candidate.blockUuid === openedBlock);
  if (!block) {
    details.hidden = true;
    detailsShown = '';
    return;
  }
  const shown = JSON.stringify(block);
  if (shown === detailsShown) return;
  detailsShown = shown;
  showBlockDetails(details, block);
}

/** @param {string} blockUuid */
function openBlock(blockUuid) {
  openedBlock = blockUuid;
  dag.select(blockUuid);
  detailsShown = '';
  drawDetails();
  history.replaceState(null, '', `#${encodeURIComponent(blockUuid)}`);
  byId('block-details-heading').focus();
}

/** @param {RunWithBlocks} next */
function show(next) {
  run = next;
  drawHeader(next);
  dag.show(next.blocks);
  drawTable(next);
  drawDetails();
}

/** @param {unknown} error */
function showError(error) {
  say(errorBox, error instanceof Error ? error.message : String(error));
}

/** Asks before an action; resolves true when the user confirmed it. @param {string} title @param {string} text @param {string} go */
function confirmAction(title, text, go) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('confirm'));
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-go').textContent = go;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'go'), { once: true });
  });
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} action
 * @param {(answer: any) => string} done what to say when it worked
 */
async function act(button, action, done) {
  say(errorBox, '');
  say(notice, '');
  button.disabled = true;
  try {
    const answer = /** @type {any} */ (await callApi(`/runs/${runId}/${action}`, { method: 'POST' }));
    if (answer?.run) show(answer.run);
    say(notice, done(answer));
  } catch (error) {
    showError(error);
    if (run) drawHeader(run);
  }
}

cancelButton.addEventListener('click', async () => {
  const go = await confirmAction(
    `Cancel run ${runId}?`,
    'Its unfinished blocks become cancelled and their Jobs are deleted. Blocks that finished keep their outcome.',
    'Cancel run',
  );
  // The run may have ended while the dialog was open (or another tab cancelled it): the API then cancels nothing.
  if (go)
    await act(cancelButton, 'cancel', (answer) =>
      answer?.cancelled === false
        ? `Run ${runId} had already ended (${STATES[answer.run?.state]?.label ?? answer.run?.state}); nothing was cancelled.`
        : `Run ${runId} cancelled.`,
    );
});

retryButton.addEventListener('click', async () => {
  const go = await confirmAction(
    `Retry the failed blocks of run ${runId}?`,
    'Its failed, upstream-failed and cancelled blocks run again as new attempts, in this run; blocks that succeeded keep their outcome.',
    'Retry failed blocks',
  );
  if (go)
    await act(retryButton, 'retry', (answer) =>
      Array.isArray(answer?.blocks) ? `Retrying ${answer.blocks.join(', ')}.` : `Retrying run ${runId}.`,
    );
});

/** The run as it is now, while the stream is closed: its answer also tells whether to open it again. */
async function probe() {
  show(/** @type {RunWithBlocks} */ (await callApi(`/runs/${runId}`)));
}

function follow() {
  const follower = followStream({
    url: apiUrl(`/runs/${runId}/events`),
    events: {
      run: (event) => {
        show(JSON.parse(event.data));
        say(live, 'Live: changes appear as they happen.');
      },
      gone: () => {
        follower.cancel();
        say(live, `Run ${runId} no longer exists (it was pruned).`);
      },
    },
    probe,
    onReconnecting: () => say(live, 'Reconnecting to live updates…'),
    onRefused: (error) => say(live, refusalText(error, `There is no run ${runId} (or it was pruned).`) ?? ''),
  });
}

// The clock of an active run's duration moves on between updates; nothing is fetched for it.
setInterval(() => {
  if (!run || !ACTIVE_RUN_STATES.has(run.state)) return;
  const duration = document.getElementById('run-duration');
  if (duration) duration.textContent = formatDuration(durationOf(run));
}, 1000);

/** The block named by the address' fragment; a fragment that is not valid percent-encoding names none. */
function blockFromAddress() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return '';
  }
}

drawLegend();
const fromAddress = blockFromAddress();
if (fromAddress) {
  openedBlock = fromAddress;
  dag.select(fromAddress);
}
follow();
