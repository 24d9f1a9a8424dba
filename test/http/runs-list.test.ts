import { afterAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/runs/run-listing.ts';
import { RUN_ID_PLACEHOLDER, type NewRun } from '../../src/runs/run-store.ts';
import type { RunRecord } from '../../src/runs/types.ts';
import { writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const nightly = { name: 'nightly', schedule_type: 'time', schedule_interval: '@daily', start_time: null };
const project = writeProject({
  etl: { blocks: [{ uuid: 'a' }], triggers: { triggers: [nightly] } },
  other: {
    blocks: [{ uuid: 'x' }],
    triggers: {
      triggers: [nightly, { name: 'hook', schedule_type: 'api', schedule_interval: null, start_time: null }],
    },
  },
});
afterAll(() => project.remove());

const auth = { authorization: `Bearer ${TOKEN}` };

interface Listing {
  runs: RunRecord[];
  next?: number;
  scanned: number;
}

function newRun(pipelineUuid: string, trigger: string, pipelineRunLimit = 0): NewRun {
  return {
    pipelineUuid,
    projectDir: project.dir,
    trigger,
    variables: {},
    executionDate: '2026-12-07T00:00:00.000Z',
    executionPartition: `manual/${RUN_ID_PLACEHOLDER}`,
    blockRunLimit: 0,
    pipelineRunLimit,
    blocks: [
      {
        blockUuid: 'a',
        upstream: [],
        maxAttempts: 1,
        retry: { retries: 0, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 60 },
      },
    ],
    project: {},
  };
}

describe('GET /api/v1/runs', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN }));

  async function list(query: string): Promise<Listing> {
    const response = await fetch(`${http.server.url}/api/v1/runs${query}`, { headers: auth });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Listing;
  }

  const ids = (listing: Listing) => listing.runs.map((run) => run.id);

  /** Five runs, oldest first: r1 etl manual, r2 etl nightly, r3 other nightly, r4 etl nightly cancelled, r5 other waiting. */
  async function fiveRuns(): Promise<[number, number, number, number, number]> {
    const { store } = http.services;
    const r1 = await store.createRun(newRun('etl', ''));
    const r2 = await store.createRun(newRun('etl', 'nightly'));
    const r3 = await store.createRun(newRun('other', 'nightly', 1));
    const r4 = await store.createRun(newRun('etl', 'nightly'));
    await store.cancelRun(r4, 'stopped');
    const r5 = await store.createRun(newRun('other', 'hook', 1));
    expect((await store.getRunRecord(r5))?.state).toBe('waiting');
    return [r1, r2, r3, r4, r5];
  }

  it('lists runs newest first, filtered by pipeline, trigger and states', async () => {
    const [r1, r2, r3, r4, r5] = await fiveRuns();
    const all = await list('');
    expect(ids(all)).toEqual([r5, r4, r3, r2, r1]);
    expect(all).toMatchObject({ scanned: 5 });
    expect(all.next).toBeUndefined();
    expect(all.runs[0]).toMatchObject({ id: r5, pipelineUuid: 'other', trigger: 'hook', state: 'waiting' });
    expect(all.runs[0]).not.toHaveProperty('blocks');

    expect(ids(await list('?pipeline=etl'))).toEqual([r4, r2, r1]);
    expect(ids(await list('?trigger=nightly'))).toEqual([r4, r3, r2]);
    expect(ids(await list('?state=waiting,cancelled'))).toEqual([r5, r4]);
    expect(ids(await list('?pipeline=etl&trigger=nightly&state=running'))).toEqual([r2]);
    // An empty value is no filter, as a form's "any" sends it.
    expect(ids(await list('?pipeline=&trigger=&state='))).toEqual([r5, r4, r3, r2, r1]);
    expect(await list('?pipeline=nope')).toEqual({ runs: [], scanned: 5 });
  });

  it('pages with `before`, from the `next` of the page before, filtered or not', async () => {
    const [r1, r2, r3, r4, r5] = await fiveRuns();
    const first = await list('?limit=2');
    expect([ids(first), first.next]).toEqual([[r5, r4], r4]);
    const second = await list(`?limit=2&before=${first.next}`);
    expect([ids(second), second.next]).toEqual([[r3, r2], r2]);
    const last = await list(`?limit=2&before=${second.next}`);
    expect([ids(last), last.next, last.scanned]).toEqual([[r1], undefined, 1]);

    const seen: number[] = [];
    let page = await list('?pipeline=etl&limit=1');
    for (;;) {
      seen.push(...ids(page));
      if (page.next === undefined) break;
      page = await list(`?pipeline=etl&limit=1&before=${page.next}`);
    }
    expect(seen).toEqual([r4, r2, r1]);

    // A run id the index does not have (pruned, or never made): the runs with smaller ids.
    expect(ids(await list(`?before=${r5 + 1000}`))).toEqual([r5, r4, r3, r2, r1]);
    expect(ids(await list(`?before=${r1}`))).toEqual([]);
  });

  it('stops after the bounded number of runs scanned, saying how many and where to go on', async () => {
    const [r1, r2, r3, r4, r5] = await fiveRuns();
    const { store } = http.services;
    expect(await listRuns(store, { pipeline: 'nope' }, 10, 3)).toEqual({ runs: [], scanned: 3, next: r3 });
    expect(await listRuns(store, { pipeline: 'nope', before: r3 }, 10, 3)).toEqual({ runs: [], scanned: 2 });
    expect(await listRuns(store, { pipeline: 'etl' }, 10, 3)).toEqual({
      runs: [expect.objectContaining({ id: r4 })],
      scanned: 3,
      next: r3,
    });
    expect(ids(await listRuns(store, {}, 10, 5))).toEqual([r5, r4, r3, r2, r1]);
  });

  it('answers 400 naming each bad parameter and what it expects', async () => {
    const response = await fetch(
      `${http.server.url}/api/v1/runs?limit=0&state=running,sleeping&before=-3&colour=red&pipeline=a&pipeline=b`,
      { headers: auth },
    );
    expect(response.status).toBe(400);
    const { problems } = (await response.json()) as { problems: string[] };
    expect(problems).toEqual([
      'query.colour: unknown parameter (expected limit, pipeline, state, trigger, before)',
      'pipeline: expected one value',
      'limit: expected a whole number from 1 to 500, got "0"',
      'state: expected one or more of waiting, running, succeeded, failed, cancelled separated by commas, got "sleeping"',
      'before: expected a run id (a positive whole number), got "-3"',
    ]);
    for (const [query, problem] of [
      ['limit=501', 'limit: expected a whole number from 1 to 500, got "501"'],
      ['limit=ten', 'limit: expected a whole number from 1 to 500, got "ten"'],
      ['before=abc', 'before: expected a run id (a positive whole number), got "abc"'],
      [
        'state=running,,',
        'state: expected one or more of waiting, running, succeeded, failed, cancelled separated by commas, got an empty one in "running,,"',
      ],
    ]) {
      const bad = await fetch(`${http.server.url}/api/v1/runs?${query}`, { headers: auth });
      expect(await bad.json()).toEqual({ error: 'bad_request', problems: [problem] });
    }
  });
});

describe('GET /api/v1/pipelines', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN }));

  it("lists the project's pipelines and trigger names, each once, for the runs list's filters", async () => {
    const response = await fetch(`${http.server.url}/api/v1/pipelines`, { headers: auth });
    expect(await response.json()).toEqual({ pipelines: ['etl', 'other'], triggers: ['hook', 'nightly'] });
    expect((await fetch(`${http.server.url}/api/v1/pipelines`)).status).toBe(401);
  });
});
