import { afterAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.ts';
import { connectRedis, stopReconnecting } from '../../src/redis/connection.ts';
import { startLocalRedis } from '../../src/redis/local-redis-server.ts';
import type { RunRecord, RunWithBlocks } from '../../src/runs/types.ts';
import { eventually } from '../support/eventually.ts';
import { rawRequest } from '../support/raw-http.ts';
import { testCreator, testServices, writeProject } from '../scheduler/support.ts';
import type { TestRedis } from '../support/redis.ts';
import { EventStreamClient } from './event-stream-client.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const project = writeProject({ etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }] } });
afterAll(() => project.remove());

const auth = { authorization: `Bearer ${TOKEN}` };
const RUN_WINDOW_MS = 200;
const LIST_WINDOW_MS = 300;

interface Listing {
  runs: RunRecord[];
  next?: number;
  scanned: number;
}

describe('run event streams', () => {
  const http = useHttpServer(project.dir, () => ({
    authToken: TOKEN,
    live: {
      streams: { keepaliveMs: 100 },
      watch: { runWindowMs: RUN_WINDOW_MS, listWindowMs: LIST_WINDOW_MS },
    },
  }));

  async function createRun(): Promise<number> {
    const created = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as RunWithBlocks).id;
  }

  function open(path: string, baseUrl = http.server.url): Promise<EventStreamClient> {
    return EventStreamClient.open(`${baseUrl}${path}`, auth);
  }

  async function getJson<T>(path: string): Promise<T> {
    return (await (await fetch(`${http.server.url}${path}`, { headers: auth })).json()) as T;
  }

  const blockState = (run: RunWithBlocks, uuid: string) => run.blocks.find((block) => block.blockUuid === uuid)?.state;

  it('sends the run at once, as GET /runs/:id shows it, then again after it changes, and stays open after it ends', async () => {
    const id = await createRun();
    const client = await open(`/api/v1/runs/${id}/events`);
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toBe('text/event-stream');
    expect(await client.next('run')).toEqual(await getJson(`/api/v1/runs/${id}`));

    await http.services.store.markDispatching(id, 'a', 1);
    await client.next<RunWithBlocks>('run', (run) => blockState(run, 'a') === 'dispatching');

    await http.services.store.cancelRun(id, 'enough');
    await client.next<RunWithBlocks>('run', (run) => run.state === 'cancelled');
    // Still open: keepalive comments go on coming.
    const seen = client.comments.length;
    await eventually('keepalive comments after the run ended', () => client.comments.length > seen);
    expect(client.comments).toContain('keepalive');
    expect(client.ended).toBe(false);
    client.close();
  });

  it('reads a run that changes constantly once per window, shared by every client watching it', async () => {
    const id = await createRun();
    const clients = await Promise.all([1, 2, 3].map(() => open(`/api/v1/runs/${id}/events`)));
    for (const client of clients) await client.next('run');
    const blocksKey = `${http.redis.prefix}:run:${id}:blocks`;
    const monitor = await http.redis.redis.monitor();
    let reads = 0;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (String(args[0]).toLowerCase() === 'hvals' && args[1] === blocksKey) reads += 1;
    });
    try {
      // Transitions for a second and more, as fast as Redis takes them: each one is announced.
      const started = Date.now();
      let attempt = 0;
      while (Date.now() - started < 1000) await http.services.store.markDispatching(id, 'a', ++attempt);
      const elapsed = Date.now() - started;
      for (const client of clients)
        await client.next<RunWithBlocks>(
          'run',
          (run) => run.blocks.find((b) => b.blockUuid === 'a')?.attempt === attempt,
        );

      // One read per window at most (the read after the last window included), whatever the clients.
      const bound = Math.ceil(elapsed / RUN_WINDOW_MS) + 1;
      const figures = JSON.stringify({ attempt, elapsed, reads, events: clients.map((c) => c.events.length) });
      expect(attempt, figures).toBeGreaterThan(bound * 5);
      expect(reads, figures).toBeGreaterThan(0);
      expect(reads, figures).toBeLessThanOrEqual(bound);
      for (const client of clients) expect(client.data('run').length - 1, figures).toBeLessThanOrEqual(bound);
    } finally {
      monitor.disconnect();
      for (const client of clients) client.close();
    }
  });

  it('answers 404 before any stream for a run that does not exist, and ends with "gone" when the run is pruned', async () => {
    for (const path of ['/api/v1/runs/999999999/events', '/api/v1/runs/nope/events']) {
      const missing = await open(path);
      expect(missing.response.status).toBe(404);
      expect(await missing.response.json()).toMatchObject({ error: 'not_found' });
    }

    const id = await createRun();
    const client = await open(`/api/v1/runs/${id}/events`);
    await client.next('run');
    await http.services.store.cancelRun(id, 'to prune');
    expect((await http.services.store.pruneBatch(Date.now() + 60_000, 0, 100)).deleted).toEqual([id]);
    expect(await client.next('gone')).toEqual({ id });
    await eventually('the stream to end', () => client.ended);
  });

  it('streams the filtered list: at once as GET /runs shows it, then after runs change, at most once per window', async () => {
    const first = await createRun();
    const path = '/api/v1/runs/events?pipeline=etl&state=running&limit=5';
    const client = await open(path);
    expect(await client.next('runs')).toEqual(await getJson('/api/v1/runs?pipeline=etl&state=running&limit=5'));

    const started = Date.now();
    const second = await createRun();
    await http.services.store.cancelRun(first, 'not listed any more');
    const listing = await client.next<Listing>('runs', (body) => body.runs[0]?.id === second);
    const elapsed = Date.now() - started;
    expect(listing.runs.map((run) => run.id)).toEqual([second]);
    expect(client.data('runs').length - 1).toBeLessThanOrEqual(Math.ceil(elapsed / LIST_WINDOW_MS) + 1);

    const bad = await open('/api/v1/runs/events?state=sleeping');
    expect(bad.response.status).toBe(400);
    expect(JSON.stringify(await bad.response.json())).toContain('state: expected one or more of waiting');
    client.close();
  });

  it('needs the token and the same Host/Origin guards as the API', async () => {
    const id = await createRun();
    for (const path of [`/api/v1/runs/${id}/events`, '/api/v1/runs/events']) {
      const anonymous = await EventStreamClient.open(`${http.server.url}${path}`, {});
      expect(anonymous.response.status).toBe(401);
      expect(JSON.stringify(await anonymous.response.json())).not.toContain(TOKEN);
      const rebound = await rawRequest(http.server.url, 'GET', path, { ...auth, host: 'evil.example' });
      expect(rebound.status).toBe(403);
      const crossSite = await rawRequest(http.server.url, 'GET', path, {
        ...auth,
        host: new URL(http.server.url).host,
        origin: 'http://evil.example',
      });
      expect(crossSite.status).toBe(403);
    }
  });

  it('refuses streams beyond the cap with 503, and a disconnect frees the slot', async () => {
    const capped = await http.startAnother({ live: { streams: { maxStreams: 2 } } });
    const id = await createRun();
    const held = [await open(`/api/v1/runs/${id}/events`, capped.url), await open('/api/v1/runs/events', capped.url)];
    for (const client of held) expect(client.response.status).toBe(200);
    for (const path of [`/api/v1/runs/${id}/events`, '/api/v1/runs/events']) {
      const refused = await open(path, capped.url);
      expect(refused.response.status).toBe(503);
      expect(await refused.response.json()).toMatchObject({
        error: 'too_many_streams',
        message: expect.stringContaining('2 event streams'),
      });
    }
    held[0]!.close();
    const admitted = await eventually('a stream once one disconnected', async () => {
      const client = await open(`/api/v1/runs/${id}/events`, capped.url);
      return client.response.status === 200 ? client : undefined;
    });
    await admitted.next('run');
    admitted.close();
    held[1]!.close();
  });

  it('closes open streams when the server closes, without waiting for the clients', async () => {
    const server = await startHttpServer(http.options());
    const id = await createRun();
    const clients = [
      await open(`/api/v1/runs/${id}/events`, server.url),
      await open('/api/v1/runs/events', server.url),
    ];
    for (const client of clients) expect(client.response.status).toBe(200);
    const closed = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 5000, 'still open after 5 s')).then(String),
    ]);
    expect(closed).toBe('closed');
    for (const client of clients) await eventually('the stream to end', () => client.ended);
  });

  it('closes with streams open while Redis is down', async () => {
    const local = await startLocalRedis();
    const redis = await connectRedis(local.url);
    try {
      // As a process opens them: connections that reconnect until told to stop.
      const services = testServices({ url: local.url, prefix: 'outage', redis } as TestRedis);
      const server = await startHttpServer({
        ...http.options(),
        services,
        creator: testCreator(services, project.dir),
      });
      const client = await open('/api/v1/runs/events', server.url);
      await client.next('runs');
      await local.stop();
      const closed = await Promise.race([
        server.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, 5000, 'still open after 5 s')).then(String),
      ]);
      expect(closed).toBe('closed');
      await eventually('the stream to end', () => client.ended);
    } finally {
      stopReconnecting(redis);
      redis.disconnect();
      await local.stop();
    }
  });
});
