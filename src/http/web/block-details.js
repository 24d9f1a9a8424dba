// @ts-check
// The details of one block run: what happened to each attempt (its Job), why it ended, what it printed.
import { durationOf, element, formatDuration, formatTime, stateBadge } from './shared.js';

/** @typedef {import('./shared.js').BlockRun} BlockRun */

/**
 * A definition list of the facts that are known; unknown ones are left out rather than shown as blanks.
 * @param {[string, string | Node | undefined][]} facts
 */
function facts(facts) {
  const list = element('dl', { class: 'facts' });
  for (const [term, value] of facts) {
    if (value === undefined || value === '') continue;
    list.append(element('dt', {}, term), element('dd', {}, value));
  }
  return list;
}

/** @param {BlockRun} block */
function attemptsTable(block) {
  const table = element(
    'table',
    { class: 'attempts' },
    element('caption', {}, `Attempts (${block.attempts.length} of at most ${block.maxAttempts})`),
  );
  const head = element('tr');
  for (const title of ['#', 'Job', 'Namespace', 'Started', 'Finished', 'Reason', 'Exit code'])
    head.append(element('th', { scope: 'col' }, title));
  table.append(element('thead', {}, head));
  const body = element('tbody');
  for (const attempt of block.attempts) {
    const outcome = attempt.outcome;
    body.append(
      element(
        'tr',
        {},
        element('td', {}, String(attempt.attempt)),
        element('td', { class: 'mono' }, attempt.jobName ?? '—'),
        element('td', {}, attempt.namespace ?? '—'),
        element('td', {}, formatTime(attempt.startedAt)),
        element('td', {}, formatTime(attempt.finishedAt ?? outcome?.finishedAt)),
        element('td', {}, outcome ? `${outcome.reason ?? ''}${outcome.message ? `: ${outcome.message}` : ''}` : '—'),
        element('td', {}, outcome?.exitCode === undefined ? '—' : String(outcome.exitCode)),
      ),
    );
  }
  if (block.attempts.length === 0)
    body.append(element('tr', {}, element('td', { colspan: '7' }, 'No attempt yet: no Job was created.')));
  table.append(body);
  return table;
}

/**
 * Fills `container` with the details of `block`.
 * @param {HTMLElement} container
 * @param {BlockRun} block
 */
export function showBlockDetails(container, block) {
  const heading = element('h2', { id: 'block-details-heading', tabindex: '-1' }, block.blockUuid);
  /** @type {HTMLElement[]} */
  const parts = [
    heading,
    facts([
      ['State', stateBadge(block.state)],
      ['Attempt', block.attempt > 0 ? `${block.attempt} of ${block.maxAttempts}` : 'not started'],
      ['Upstream', block.upstream.length > 0 ? block.upstream.join(', ') : 'none (a root block)'],
      ['Job', block.jobName && `${block.namespace ?? ''}/${block.jobName}`],
      ['Started', block.startedAt === undefined ? undefined : formatTime(block.startedAt)],
      ['Duration', block.startedAt === undefined ? undefined : formatDuration(durationOf(block))],
      ['Reason', block.reason],
      ['Message', block.message],
      ['Exit code', block.exitCode === undefined ? undefined : String(block.exitCode)],
      ['Failed pods', block.failedPods ? `${block.failedPods} (retried by Kubernetes)` : undefined],
    ]),
    attemptsTable(block),
  ];
  if (block.events && block.events.length > 0) {
    parts.push(
      element('h3', {}, 'Warning events'),
      element('ul', { class: 'events' }, ...block.events.map((event) => element('li', {}, event))),
    );
  }
  if (block.logTail && block.logTail.length > 0) {
    parts.push(
      element('h3', {}, 'Log tail'),
      element('pre', { class: 'log', tabindex: '0', 'aria-label': 'log tail' }, block.logTail.join('\n')),
    );
  }
  container.replaceChildren(...parts);
  container.hidden = false;
}
