/**
 * The runs web view in a real browser (headless Chromium) against the whole system in this process:
 * scheduler, dispatcher and watcher on the simulated cluster, real Redis, the dashboard's own pages
 * and API. Skipped, saying why, where no Chromium is installed.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNS_PAGE_PATH, runPagePath } from '../../src/http/web-paths.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { TERMINAL_RUN_STATES, type RunWithBlocks } from '../../src/runs/types.ts';
import { eventually } from '../support/eventually.ts';
import { launchChromium, NO_BROWSER, startStack, type Stack } from './support.ts';

if (NO_BROWSER) console.warn(NO_BROWSER);

const VIEWPORT = { width: 1280, height: 800 };
/** What the page writes for each state (shared.js STATES): words, never colour alone. */
const STATE_WORDS: Record<string, string> = {
  pending: 'pending',
  queued: 'queued',
  dispatching: 'dispatching',
  running: 'running',
  retrying: 'retrying',
  succeeded: 'succeeded',
  failed: 'failed',
  upstream_failed: 'upstream failed',
  condition_failed: 'condition failed',
  cancelled: 'cancelled',
  waiting: 'waiting',
};

async function finished(stack: Stack, runId: number, timeoutMs = 60_000): Promise<RunWithBlocks> {
  return eventually(
    `run ${runId} to finish`,
    async () => {
      const run = await stack.run(runId);
      return TERMINAL_RUN_STATES.has(run.state) ? run : undefined;
    },
    timeoutMs,
    100,
  );
}

/** The state words of every DAG node, by block. */
function nodeStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#dag [data-block]', (nodes) =>
    Object.fromEntries(
      nodes.map((node) => [
        node.getAttribute('data-block') ?? '',
        node.querySelector('.node-state')?.textContent ?? '',
      ]),
    ),
  );
}

async function headerState(page: Page): Promise<string> {
  return (await page.locator('#run-state').textContent()) ?? '';
}

/** The value a details panel gives for `term` (its `<dt>`). */
async function fact(page: Page, term: string): Promise<string | null> {
  return page
    .locator('#block-details dt', { hasText: term })
    .first()
    .locator('xpath=following-sibling::dd[1]')
    .textContent();
}

/** Waits until the run page's header shows `state` (the page learns it from the run's event stream). */
async function untilHeaderSays(page: Page, state: string, timeout = 60_000): Promise<void> {
  await page.locator('#run-state', { hasText: STATE_WORDS[state] }).waitFor({ timeout });
}

describe.skipIf(NO_BROWSER !== undefined)('the runs web view in a browser', () => {
  let browser: Browser;
  let context: BrowserContext;
  let stack: Stack | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await context?.close();
    await stack?.stop();
    stack = undefined;
    expect(pageErrors.splice(0), 'script errors and CSP violations in the pages').toEqual([]);
  });

  async function openContext(): Promise<BrowserContext> {
    context = await browser.newContext({ viewport: VIEWPORT });
    context.on('page', (page) => {
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/.test(message.text()))
          pageErrors.push(message.text());
      });
    });
    return context;
  }

  async function openPage(path: string): Promise<Page> {
    const page = await (await openContext()).newPage();
    await page.goto(`${stack!.url}${path}`);
    return page;
  }

  it('follows a live run to its end: list, DAG node states, header, block details with exit code and log tail', async () => {
    stack = await startStack({
      blocks: [
        // Long enough for the page to open while the run is still going.
        { uuid: 'extract', annotations: { 'sim.kubedispatch.io/duration': '5s' } },
        { uuid: 'clean', upstream: ['extract'] },
        {
          uuid: 'score',
          upstream: ['extract'],
          annotations: { 'sim.kubedispatch.io/exit-code': '2', 'sim.kubedispatch.io/logs': 'reading rows\nbad row 7' },
        },
        { uuid: 'publish', upstream: ['clean', 'score'] },
      ],
    });
    const runId = await stack.createRun();
    const page = await openPage(RUNS_PAGE_PATH);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('pipeline');

    // A run created while the page is open appears by the list's event stream.
    const second = await stack.createRun();
    await page.locator(`tr[data-run="${second}"]`).waitFor({ timeout: 15_000 });

    await row.getByRole('link').click();
    await page.waitForURL(`**${runPagePath(runId)}`);
    await page.locator('#dag [data-block]').first().waitFor();
    expect(await page.locator('#dag [data-block]').count()).toBe(4);
    expect(await page.locator('#dag .edge').count()).toBe(4);
    expect(['waiting', 'running'].map((state) => STATE_WORDS[state])).toContainEqual(
      (await headerState(page)).replace(/^\S+\s/, ''),
    );

    await untilHeaderSays(page, 'failed');
    const run = await finished(stack, runId);
    expect(run.state).toBe('failed');
    const shown = await nodeStates(page);
    for (const block of run.blocks) expect(shown[block.blockUuid]).toContain(STATE_WORDS[block.state]);
    expect(shown['score']).toContain('failed');
    expect(shown['publish']).toContain('upstream failed');
    // The table says the same, block by block.
    for (const block of run.blocks) {
      const cells = page
        .locator('#blocks tbody tr')
        .filter({ has: page.getByRole('button', { name: block.blockUuid, exact: true }) });
      expect(await cells.textContent()).toContain(STATE_WORDS[block.state]);
    }

    await page.locator('#dag [data-block="score"]').click();
    const details = page.locator('#block-details');
    await details.getByRole('heading', { name: 'score' }).waitFor();
    const text = (await details.textContent()) ?? '';
    expect(await fact(page, 'Exit code')).toBe('2');
    expect(await page.locator('#block-details pre.log').textContent()).toBe('reading rows\nbad row 7');
    const job = run.blocks.find((block) => block.blockUuid === 'score')!.jobName!;
    expect(text).toContain(job);
    expect(text).toContain('Attempt 1');

    // Filters: by state, kept in the address; the choices come from the project and the runs.
    await page.goto(`${stack.url}${RUNS_PAGE_PATH}`);
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    expect(await page.getByLabel('Pipeline').locator('option').allTextContents()).toEqual(['all', 'pipeline']);
    await page.getByLabel('State').selectOption('succeeded');
    await page.locator('#empty', { hasText: 'No runs match' }).waitFor();
    expect(await page.locator('#runs tbody tr').count()).toBe(0);
    expect(new URL(page.url()).search).toBe('?state=succeeded');
    await page.getByLabel('State').selectOption('failed');
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    for (const state of await page.locator('#runs tbody tr .badge').allTextContents())
      expect(state).toContain('failed');

    // The run id box opens the run's page.
    await page.getByLabel('Run id').fill(String(runId));
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`**${runPagePath(runId)}`);
  }, 120_000);

  it('cancels a running run from its page after confirmation, then offers no cancel', async () => {
    stack = await startStack({ blocks: [{ uuid: 'sleepy', annotations: { 'sim.kubedispatch.io/duration': '60s' } }] });
    const runId = await stack.createRun();
    const page = await openPage(runPagePath(runId));
    await page.locator('[data-block="sleepy"] .node-state', { hasText: 'running' }).waitFor({ timeout: 30_000 });
    const cancel = page.getByRole('button', { name: 'Cancel run' });
    expect(await cancel.isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Retry failed blocks' }).isDisabled()).toBe(true);

    // Keeping the run in the dialog changes nothing.
    await cancel.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep as it is' }).click();
    expect((await stack.run(runId)).state).toBe('running');

    // A second tab asks too, and is answered only after the first has cancelled the run.
    const second = await context.newPage();
    await second.goto(`${stack.url}${runPagePath(runId)}`);
    await second.getByRole('button', { name: 'Cancel run' }).click();

    await cancel.click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain(`Cancel run ${runId}?`);
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await untilHeaderSays(page, 'cancelled', 15_000);
    await page.locator('#notice', { hasText: `Run ${runId} cancelled.` }).waitFor();
    expect((await stack.run(runId)).state).toBe('cancelled');
    expect(await nodeStates(page)).toEqual({ sleepy: expect.stringContaining('cancelled') });
    expect(await cancel.isDisabled()).toBe(true);

    // The second tab's confirmation comes too late: it says so instead of claiming it cancelled the run.
    await untilHeaderSays(second, 'cancelled', 15_000);
    await second.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await second
      .locator('#notice', { hasText: `Run ${runId} had already ended (cancelled); nothing was cancelled.` })
      .waitFor();
  }, 90_000);

  it('retries the failed blocks from the page: an error of the API is shown, then the run succeeds on a second attempt', async () => {
    stack = await startStack({
      blocks: [{ uuid: 'first' }, { uuid: 'flaky', upstream: ['first'] }, { uuid: 'last', upstream: ['flaky'] }],
      // flaky's first attempt fails; its next Job (another attempt label) succeeds.
      behaviourRules: [
        {
          match: { 'kubedispatch.io/block': 'flaky', 'kubedispatch.io/attempt': '1' },
          annotations: { 'sim.kubedispatch.io/exit-code': '1' },
        },
      ],
    });
    const runId = await stack.createRun();
    expect((await finished(stack, runId)).state).toBe('failed');
    const page = await openPage(runPagePath(runId));
    await untilHeaderSays(page, 'failed');
    const retry = page.getByRole('button', { name: 'Retry failed blocks' });
    expect(await retry.isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel run' }).isDisabled()).toBe(true);

    // The API's refusal is shown in the page, in its own words.
    await page.route(`**/runs/${runId}/retry`, (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'nothing_to_retry', message: 'run has no failed blocks to retry' }),
      }),
    );
    await retry.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry failed blocks' }).click();
    await page.getByRole('alert').filter({ hasText: 'run has no failed blocks to retry' }).waitFor();
    await page.unroute(`**/runs/${runId}/retry`);

    await retry.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry failed blocks' }).click();
    await page.locator('#notice', { hasText: /^Retrying (.*, )?flaky\b/ }).waitFor();
    await untilHeaderSays(page, 'succeeded', 60_000);
    const run = await stack.run(runId);
    expect(run.state).toBe('succeeded');
    const shown = await nodeStates(page);
    for (const block of run.blocks) expect(shown[block.blockUuid]).toContain('succeeded');
    // Its second attempt, the last of this go (attempts count on after a retry).
    expect(shown['flaky']).toBe('✓ succeeded · try 2/2');
    expect(await page.getByRole('alert').isHidden()).toBe(true);

    await page.locator('#dag [data-block="flaky"]').click();
    const details = page.locator('#block-details');
    await details.getByRole('heading', { name: 'flaky' }).waitFor();
    const attempts = run.blocks.find((block) => block.blockUuid === 'flaky')!.attempts;
    expect(attempts.length).toBeGreaterThan(1);
    for (const attempt of attempts) expect(await details.textContent()).toContain(attempt.jobName!);
  }, 120_000);

  it('draws a 200-block run once and then updates its nodes in place until it ends', async () => {
    const width = 10;
    const blocks = Array.from({ length: 200 }, (_, index) => {
      const layer = Math.floor(index / width);
      const at = index % width;
      const upstream = layer === 0 ? [] : [`b${layer - 1}_${at}`, `b${layer - 1}_${(at + 3) % width}`];
      // The first layer outlasts the page's opening, so that it sees the run change.
      const duration = layer === 0 ? '3s' : '10ms';
      return { uuid: `b${layer}_${at}`, upstream, annotations: { 'sim.kubedispatch.io/duration': duration } };
    });
    stack = await startStack({ blocks });
    const runId = await stack.createRun();
    const page = await openPage(runPagePath(runId));
    await page.locator('#dag [data-block]').first().waitFor();
    expect(await page.locator('#dag [data-block]').count()).toBe(200);
    expect(await page.locator('#dag .edge').count()).toBe(190 * 2);
    await untilHeaderSays(page, 'succeeded', 120_000);
    const shown = await nodeStates(page);
    expect(Object.values(shown).filter((text) => text.includes('succeeded'))).toHaveLength(200);
    expect(await page.locator('#blocks tbody tr').count()).toBe(200);

    const timings = await page.evaluate(() =>
      Object.fromEntries(
        ['dag-render', 'dag-update'].map((name) => [
          name,
          performance.getEntriesByName(name).map((entry) => entry.duration),
        ]),
      ),
    );
    const render = timings['dag-render']!;
    const updates = timings['dag-update']!;
    // Laid out once; every later event only touched the nodes that changed.
    expect(render).toHaveLength(1);
    expect(updates.length).toBeGreaterThan(0);
    const mean = updates.reduce((sum, value) => sum + value, 0) / updates.length;
    console.log(
      `200-block DAG: first render ${render[0]!.toFixed(1)} ms; ${updates.length} updates, mean ${mean.toFixed(2)} ms, max ${Math.max(...updates).toFixed(2)} ms`,
    );
  }, 180_000);

  it('is usable by keyboard: Tab reaches the DAG, arrows move between blocks, Enter opens details', async () => {
    stack = await startStack({
      blocks: [{ uuid: 'alpha' }, { uuid: 'beta', upstream: ['alpha'] }, { uuid: 'gamma', upstream: ['alpha'] }],
    });
    const runId = await stack.createRun();
    await finished(stack, runId);
    const page = await openPage(runPagePath(runId));
    await untilHeaderSays(page, 'succeeded');
    const focusedBlock = () => page.locator(':focus').getAttribute('data-block');
    let focused: string | null = null;
    for (let presses = 0; presses < 30 && !focused; presses++) {
      await page.keyboard.press('Tab');
      focused = await focusedBlock();
    }
    expect(focused).toBe('alpha');
    expect(await page.locator(':focus').getAttribute('aria-label')).toBe('alpha: succeeded');
    // The DAG is one Tab stop, however many blocks it has.
    await page.keyboard.press('Tab');
    expect(await focusedBlock()).toBe(null);
    await page.keyboard.press('Shift+Tab');
    expect(await focusedBlock()).toBe('alpha');

    await page.keyboard.press('ArrowRight');
    const right = await focusedBlock();
    expect(['beta', 'gamma']).toContain(right);
    await page.keyboard.press(right === 'beta' ? 'ArrowDown' : 'ArrowUp');
    const other = right === 'beta' ? 'gamma' : 'beta';
    expect(await focusedBlock()).toBe(other);
    await page.keyboard.press('Enter');
    await page.locator('#block-details').getByRole('heading', { name: other }).waitFor();
    expect(await page.locator(':focus').getAttribute('id')).toBe('block-details-heading');
    expect(await page.locator(`[data-block="${other}"]`).getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('[data-block="alpha"]').getAttribute('aria-expanded')).toBe('false');

    // A fragment that is not valid percent-encoding (a mangled link) names no block; the page still works.
    const mangled = await context.newPage();
    await mangled.goto(`${stack.url}${runPagePath(runId)}#%E0%A4%A`);
    await untilHeaderSays(mangled, 'succeeded');
    expect(await mangled.locator('#dag [data-block]').count()).toBe(3);
    expect(await mangled.locator('#block-details').isHidden()).toBe(true);

    // Times are the browser's, with its zone named: the execution date beside them is in UTC.
    const newYork = await browser.newContext({ viewport: VIEWPORT, timezoneId: 'America/New_York', locale: 'en-US' });
    try {
      const away = await newYork.newPage();
      await away.goto(`${stack.url}${runPagePath(runId)}`);
      await untilHeaderSays(away, 'succeeded');
      const started = await away
        .locator('#run-facts dt', { hasText: 'Started' })
        .locator('xpath=following-sibling::dd[1]')
        .textContent();
      expect(started).toMatch(/\b(EST|EDT)$/);
      expect(await away.locator('#run-facts').textContent()).toMatch(
        /Execution date\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
      );
    } finally {
      await newYork.close();
    }
  }, 90_000);

  it('keeps text at WCAG AA contrast on every state colour, in badges and DAG nodes', async () => {
    stack = await startStack({ blocks: [{ uuid: 'alpha' }] });
    const runId = await stack.createRun();
    await finished(stack, runId);
    const page = await openPage(runPagePath(runId));
    await untilHeaderSays(page, 'succeeded');
    // Runs in the page (a string: this file is type-checked without the DOM library).
    const ratios = (await page.evaluate(`(() => {
      const rgb = (text) => (text.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
      const luminance = ([r, g, b]) => {
        const [R, G, B] = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
      };
      const contrast = (a, b) => { const [x, y] = [luminance(rgb(a)), luminance(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const node = document.querySelector('#dag [data-block]');
      const result = {};
      for (const state of ${JSON.stringify(Object.keys(STATE_WORDS))}) {
        const badge = document.createElement('span');
        badge.className = 'badge state-' + state;
        badge.textContent = state;
        document.body.append(badge);
        const copy = node.cloneNode(true);
        copy.setAttribute('class', 'node state-' + state);
        node.parentNode.append(copy);
        const box = getComputedStyle(copy.querySelector('.node-box')).fill;
        result[state] = Math.min(
          contrast(getComputedStyle(badge).color, getComputedStyle(badge).backgroundColor),
          contrast(getComputedStyle(copy.querySelector('.node-name')).fill, box),
          contrast(getComputedStyle(copy.querySelector('.node-state')).fill, box),
        );
        badge.remove();
        copy.remove();
      }
      return result;
    })()`)) as Record<string, number>;
    expect(Object.keys(ratios)).toHaveLength(Object.keys(STATE_WORDS).length);
    for (const [state, ratio] of Object.entries(ratios)) expect(ratio, state).toBeGreaterThanOrEqual(4.5);
  }, 60_000);

  it('keeps following after the event streams are refused for a while (503), on both pages', async () => {
    stack = await startStack({ blocks: [{ uuid: 'slow', annotations: { 'sim.kubedispatch.io/duration': '6s' } }] });
    const runId = await stack.createRun();
    const page = await (await openContext()).newPage();
    // The browser gives up on an event stream for good on any answer but 200: the pages open it again.
    const refusals = { run: 2, runs: 2 };
    await page.route(/\/api\/v1\/runs\/(\d+\/)?events/, async (route) => {
      const which = /\/runs\/events/.test(route.request().url()) ? 'runs' : 'run';
      if (refusals[which] === 0) return route.continue();
      refusals[which]--;
      return route.fulfill({ status: 503, body: 'restarting' });
    });
    await page.goto(`${stack.url}${runPagePath(runId)}`);
    await page.locator('#live', { hasText: 'Reconnecting' }).waitFor();
    await untilHeaderSays(page, 'succeeded', 30_000);
    await page.locator('#live', { hasText: 'Live:' }).waitFor();
    expect(refusals.run).toBe(0);

    await page.goto(`${stack.url}${RUNS_PAGE_PATH}`);
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    await page.locator('#live', { hasText: 'Live:' }).waitFor({ timeout: 15_000 });
    const second = await stack.createRun();
    await page.locator(`tr[data-run="${second}"]`).waitFor({ timeout: 15_000 });
    expect(refusals.runs).toBe(0);
  }, 90_000);

  it('stops following, saying why, when the stream is refused for good: no such run, a bad filter', async () => {
    stack = await startStack({ blocks: [{ uuid: 'only' }] });
    const page = await openPage(runPagePath(999_999));
    await page.locator('#live', { hasText: 'There is no run 999999' }).waitFor();
    await page.goto(`${stack.url}${RUNS_PAGE_PATH}?state=sleeping`);
    await page.locator('#live', { hasText: 'The filter is not valid' }).waitFor();
    expect(await page.locator('#live').textContent()).not.toContain('reload');
  }, 60_000);

  it('says a waiting run has not started yet, in the list and its header, instead of its creation time', async () => {
    stack = await startStack({
      blocks: [{ uuid: 'long', annotations: { 'sim.kubedispatch.io/duration': '30s' } }],
      pipelineRunLimit: 1,
    });
    const first = await stack.createRun();
    const second = await stack.createRun();
    expect((await stack.run(second)).state).toBe('waiting');
    const page = await openPage(RUNS_PAGE_PATH);
    const started = (runId: number) => page.locator(`tr[data-run="${runId}"] td`).nth(3);
    await page.locator(`tr[data-run="${second}"]`).waitFor();
    expect(await started(second).textContent()).toMatch(/^not yet \(created \d\d:\d\d:\d\d \S+\)$/);
    expect(await started(first).textContent()).toMatch(/^\d\d:\d\d:\d\d \S+$/);
    await page.goto(`${stack.url}${runPagePath(second)}`);
    await untilHeaderSays(page, 'waiting');
    const header = page.locator('#run-facts dt', { hasText: 'Started' }).locator('xpath=following-sibling::dd[1]');
    expect(await header.textContent()).toMatch(/^not yet \(created /);
  }, 60_000);

  it('refuses in the run id box an id beyond the safe integers, which the page would read as another', async () => {
    stack = await startStack({ blocks: [{ uuid: 'only' }] });
    const page = await openPage(RUNS_PAGE_PATH);
    await page.getByLabel('Run id').fill('9007199254740993');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#find-error', { hasText: 'A run id is a positive whole number' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(RUNS_PAGE_PATH);
    await page.getByLabel('Run id').fill(String(Number.MAX_SAFE_INTEGER));
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`**${runPagePath(Number.MAX_SAFE_INTEGER)}`);
  }, 60_000);

  it('isolates user text in <bdi>: a right-to-left override in a trigger name turns only the name around', async () => {
    stack = await startStack({ blocks: [{ uuid: 'only' }] });
    const trigger = 'nightly\u202Etxet';
    const runId = await createPipelineRun(stack.context.creator, { pipelineUuid: 'pipeline', trigger, variables: {} });
    const page = await openPage(RUNS_PAGE_PATH);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(
      await row
        .locator('td')
        .nth(1)
        .evaluate((cell) => cell.firstElementChild?.outerHTML),
    ).toBe(`<bdi>${trigger}</bdi>`);
    await page.goto(`${stack.url}${runPagePath(runId)}`);
    const dd = page.locator('#run-facts dt', { hasText: 'Trigger' }).locator('xpath=following-sibling::dd[1]');
    await dd.waitFor();
    expect(await dd.evaluate((cell) => cell.innerHTML)).toBe(`<bdi>${trigger}</bdi>`);
    expect(await page.locator('#blocks tbody th bdi').allTextContents()).toEqual(['only']);
  }, 60_000);

  it('keeps every run in sight after Older runs when new runs push some off the live newest page', async () => {
    stack = await startStack({ blocks: [{ uuid: 'alpha' }] });
    const created: number[] = [];
    for (let count = 0; count < 53; count++) created.push(await stack.createRun());
    const page = await openPage(RUNS_PAGE_PATH);
    const rows = page.locator('#runs tbody tr');
    await eventually('the newest page', async () => ((await rows.count()) === 50 ? true : undefined), 15_000, 100);
    await page.getByRole('button', { name: 'Older runs' }).click();
    await eventually('the older page', async () => ((await rows.count()) === 53 ? true : undefined), 15_000, 100);
    // Three new runs push the newest page's last three (created[3..5]) off it, live.
    for (let count = 0; count < 3; count++) created.push(await stack.createRun());
    await page.locator(`tr[data-run="${created.at(-1)}"]`).waitFor({ timeout: 15_000 });
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-run'))));
    expect([...shown].sort((a, b) => a - b)).toEqual([...created].sort((a, b) => a - b));
    expect(shown).toEqual([...created].reverse());
  }, 120_000);

  describe('with an auth token', () => {
    const TOKEN = 'browser-test-token-0123456789abcdef0123456789';

    async function tokenStack(): Promise<{ runId: number }> {
      stack = await startStack({ blocks: [{ uuid: 'only' }], authToken: TOKEN });
      const runId = await stack.createRun();
      await finished(stack, runId);
      return { runId };
    }

    it('asks for Basic auth on the pages and lets the page call the API with what the browser cached', async () => {
      const { runId } = await tokenStack();
      const refused = await fetch(`${stack!.url}${runPagePath(runId)}`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm="kubedispatch"/);
      // Challenged on /runs/ID, the browser caches the credentials for /runs/ only: its calls to
      // /api/v1 (fetch and EventSource) get the same realm's challenge and are resent with them.
      const page = await (await openContext()).newPage();
      await page.goto(`${stack!.url.replace('http://', `http://admin:${TOKEN}@`)}${runPagePath(runId)}`);
      await untilHeaderSays(page, 'succeeded');
      await page.locator('#live').filter({ hasText: 'Live:' }).waitFor();
      expect(await page.content()).not.toContain(TOKEN);
      // The page's own calls name the origin only, never the user info of the address bar.
      const apiCalls: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push(request.url());
      });
      await page.getByRole('link', { name: 'Runs' }).first().click();
      await page.locator(`tr[data-run="${runId}"]`).waitFor();
      await page.locator('#live').filter({ hasText: 'Live:' }).waitFor();
      expect(apiCalls.length).toBeGreaterThan(0);
      expect(apiCalls.filter((url) => url.includes(TOKEN))).toEqual([]);
    }, 90_000);

    it('logs in by /login?token=… with a cookie for the pages and the API, and the old /ui/login still works', async () => {
      const { runId } = await tokenStack();
      const page = await openPage(`/login?token=${TOKEN}`);
      expect(new URL(page.url()).pathname).toBe(RUNS_PAGE_PATH);
      await page.locator(`tr[data-run="${runId}"]`).waitFor();
      await page.locator('#live').filter({ hasText: 'Live:' }).waitFor();
      expect(await page.content()).not.toContain(TOKEN);
      const cookies = await context.cookies();
      expect(cookies.map((cookie) => [cookie.name, cookie.path, cookie.httpOnly, cookie.sameSite])).toEqual([
        ['kubedispatch_token', '/', true, 'Strict'],
      ]);
      await page.goto(`${stack!.url}${runPagePath(runId)}`);
      await untilHeaderSays(page, 'succeeded');
      // Bull Board, under the same cookie, and the redirect of / to the runs page.
      expect((await page.goto(`${stack!.url}/ui/`))?.status()).toBe(200);
      await page.goto(`${stack!.url}/`);
      expect(new URL(page.url()).pathname).toBe(RUNS_PAGE_PATH);
      // Log out, from the page's header: the cookie is gone, and the pages ask for the token again.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'You are logged out' }).waitFor();
      expect(await context.cookies()).toEqual([]);
      expect((await context.request.get(`${stack!.url}${RUNS_PAGE_PATH}`)).status()).toBe(401);

      const other = await browser.newContext({ viewport: VIEWPORT });
      try {
        const uiPage = await other.newPage();
        await uiPage.goto(`${stack!.url}/ui/login?token=${TOKEN}`);
        expect(new URL(uiPage.url()).pathname).toBe('/ui/');
        await uiPage.goto(`${stack!.url}${RUNS_PAGE_PATH}`);
        await uiPage.locator(`tr[data-run="${runId}"]`).waitFor();
      } finally {
        await other.close();
      }
    }, 90_000);
  });
});
