// @ts-check
// The details of one block run: what happened to each attempt (its Job), why it ended, what it printed.
import {
  durationOf,
  element,
  formatDuration,
  formatTime,
  lastAttempt,
  stateBadge,
  userText,
  userTexts,
} from './shared.js';

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

/** Each attempt (one Job) with when it ran and how it ended, newest first. @param {BlockRun} block */
function attemptList(block) {
  const heading = element(
    'h3',
    {},
    `Attempts (${block.attempts.length}; this go may reach attempt ${lastAttempt(block)})`,
  );
  if (block.attempts.length === 0) return [heading, element('p', { class: 'subtle' }, 'None yet: no Job was created.')];
  const items = [...block.attempts].reverse().map((attempt) => {
    const outcome = attempt.outcome;
    return element(
      'li',
      {},
      element('h4', {}, `Attempt ${attempt.attempt}`),
      facts([
        ['Job', attempt.jobName],
        ['Namespace', attempt.namespace],
        ['Cluster', attempt.cluster],
        ['Started', attempt.startedAt === undefined ? undefined : formatTime(attempt.startedAt)],
        ['Finished', formatTime(attempt.finishedAt ?? outcome?.finishedAt)],
        ['Reason', outcome?.reason === undefined ? 'not finished' : userText(outcome.reason)],
        ['Message', outcome?.message && userText(outcome.message)],
        ['Exit code', outcome?.exitCode === undefined ? undefined : String(outcome.exitCode)],
      ]),
    );
  });
  return [heading, element('ol', { class: 'attempts' }, ...items)];
}

/**
 * Fills `container` with the details of `block`.
 * @param {HTMLElement} container
 * @param {BlockRun} block
 */
export function showBlockDetails(container, block) {
  const heading = element('h2', { id: 'block-details-heading', tabindex: '-1' }, userText(block.blockUuid));
  /** @type {HTMLElement[]} */
  const parts = [
    heading,
    facts([
      ['State', stateBadge(block.state)],
      ['Attempt', block.attempt > 0 ? `${block.attempt} of ${lastAttempt(block)}` : 'not started'],
      ['Upstream', element('span', {}, ...userTexts(block.upstream, 'none (a root block)'))],
      ['Job', block.jobName && `${block.namespace ?? ''}/${block.jobName}`],
      ['Cluster', block.cluster],
      ['Started', block.startedAt === undefined ? undefined : formatTime(block.startedAt)],
      ['Duration', block.startedAt === undefined ? undefined : formatDuration(durationOf(block))],
      ['Reason', block.reason && userText(block.reason)],
      ['Message', block.message && userText(block.message)],
      ['Exit code', block.exitCode === undefined ? undefined : String(block.exitCode)],
      ['Failed pods', block.failedPods ? String(block.failedPods) : undefined],
    ]),
    ...attemptList(block),
  ];
  if (block.events && block.events.length > 0) {
    parts.push(
      element('h3', {}, 'Warning events'),
      element('ul', { class: 'events' }, ...block.events.map((event) => element('li', {}, userText(event)))),
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
