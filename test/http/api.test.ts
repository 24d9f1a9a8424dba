import { afterAll, describe, expect, it } from 'vitest';
import { BlockRenderer } from '../../src/dispatch/block-renderer.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { InsecureListenError, isLoopbackHost, tokenMatches } from '../../src/http/auth.ts';
import { startHttpServer } from '../../src/http/server.ts';
import { writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const project = writeProject({
  etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }] },
  broken: {
    blocks: [
      { uuid: 'x', executor_type: 'local_python_force' },
      { uuid: 'y', executor_config: { resource_limits: { memory: 'much' } } },
    ],
  },
  fan_out: {
    blocks: [
      { uuid: 'parent', configuration: { dynamic: true } },
      { uuid: 'child', upstream: ['parent'] },
    ],
  },
});
afterAll(() => project.remove());

function bearer(token = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Headers of a write: every write needs the JSON content type, bodiless ones too. */
function jsonWrite(token = TOKEN): Record<string, string> {
  return { ...bearer(token), 'content-type': 'application/json' };
}

describe('HTTP API', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN, mageEnv: 'dev' }));

  async function createRun(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  it('keeps /healthz and /readyz open and everything else behind the token', async () => {
    expect((await fetch(`${http.server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${http.server.url}/readyz`)).json()).toEqual({ status: 'ready' });
    for (const path of ['/api/v1/runs', '/metrics', '/ui/']) {
      expect((await fetch(`${http.server.url}${path}`)).status).toBe(401);
      expect((await fetch(`${http.server.url}${path}`, { headers: bearer('wrong') })).status).toBe(401);
      expect((await fetch(`${http.server.url}${path}`, { headers: bearer(`${TOKEN}x`) })).status).toBe(401);
    }
    const denied = await fetch(`${http.server.url}/api/v1/runs`);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(JSON.stringify(await denied.json())).not.toContain(TOKEN);
    expect((await fetch(`${http.server.url}/api/v1/runs`, { headers: bearer() })).status).toBe(200);
  });

  it('creates a run (201), shows it with every block run, lists it, and cancels it', async () => {
    const created = await createRun({ trigger: 'api', variables: { day: '2026-11-28', n: 3 } });
    expect(created.status).toBe(201);
    const run = (await created.json()) as {
      id: number;
      state: string;
      variables: Record<string, unknown>;
      blocks: { blockUuid: string; state: string; blockRunId: number }[];
    };
    expect(created.headers.get('location')).toBe(`/api/v1/runs/${run.id}`);
    expect(run).toMatchObject({
      state: 'running',
      trigger: 'api',
      variables: { day: '2026-11-28', n: 3 },
      executionPartition: expect.stringMatching(new RegExp(`^manual/\\d{8}T\\d{6}_\\d{6}_${run.id}$`)),
    });
    expect(run.blocks.map((block) => [block.blockUuid, block.state])).toEqual([
      ['a', 'queued'],
      ['e', 'queued'],
      ['b', 'pending'],
    ]);

    const shown = (await (
      await fetch(`${http.server.url}/api/v1/runs/${run.id}`, { headers: bearer() })
    ).json()) as typeof run;
    expect(shown.blocks[0]).toMatchObject({ blockUuid: 'a', attempt: 0, maxAttempts: 1, attempts: [] });
    const list = (await (await fetch(`${http.server.url}/api/v1/runs?limit=5`, { headers: bearer() })).json()) as {
      runs: { id: number }[];
    };
    expect(list.runs.map((entry) => entry.id)).toEqual([run.id]);

    const cancelled = await fetch(`${http.server.url}/api/v1/runs/${run.id}/cancel`, {
      method: 'POST',
      headers: jsonWrite(),
    });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({
      found: true,
      cancelled: true,
      deletedJobs: [],
      run: { state: 'cancelled' },
    });
    expect(await http.services.blockQueue.getJobs(['waiting'])).toEqual([]);
  });

  it("keeps nested JSON variables exactly, through Redis to the Job's --runtime-vars", async () => {
    // Values Lua's cjson would change if it decoded them: [] (→ {}), 17 significant digits, a "__proto__" key.
    const variables = JSON.parse(
      '{"cfg":{"list":[],"deep":[{"x":[1,2]},null],"__proto__":{"p":1}},"pi":3.141592653589793,"flag":false,"none":null,"text":"5"}',
    ) as Record<string, unknown>;
    const created = await createRun({ variables });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const shown = (await (await fetch(`${http.server.url}/api/v1/runs/${id}`, { headers: bearer() })).json()) as {
      variables: unknown;
    };
    expect(JSON.stringify(shown.variables)).toBe(JSON.stringify(variables));

    const context = {
      ...loadRenderContext({}, { queuePrefix: http.redis.prefix }),
      serverPod: { spec: { containers: [{ name: 'mage', image: 'mage:1' }] } },
    };
    const run = (await http.services.store.getRun(id))!;
    const { job } = await new BlockRenderer(http.services.store, context).render(
      {
        runId: id,
        pipelineUuid: 'etl',
        blockUuid: 'a',
        blockRunId: run.blocks[0]!.blockRunId,
        retry: run.blocks[0]!.retry,
      },
      1,
    );
    const command = job.spec?.template.spec?.containers[0]?.command ?? [];
    const runtimeVariables = JSON.parse(command[command.indexOf('--runtime-vars') + 1]!) as Record<string, unknown>;
    expect(JSON.stringify(Object.fromEntries(Object.keys(variables).map((key) => [key, runtimeVariables[key]])))).toBe(
      JSON.stringify(variables),
    );
    expect(runtimeVariables).toMatchObject({
      pipeline_run_id: id,
      env: 'prod',
      execution_partition: run.executionPartition,
      trigger_name: '',
    });
  });

  it('honours Idempotency-Key', async () => {
    const first = (await (await createRun({}, { 'idempotency-key': 'req-1' })).json()) as { id: number };
    const again = await createRun({}, { 'idempotency-key': 'req-1' });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: number }).id).toBe(first.id);
    const other = (await (await createRun({}, { 'idempotency-key': 'req-2' })).json()) as { id: number };
    expect(other.id).not.toBe(first.id);
    expect(await http.services.store.runIdsNewestFirst(0, 10)).toEqual([other.id, first.id]);
  });

  it('answers 400 for a bad body and 422 with every problem for an invalid pipeline, writing nothing', async () => {
    const bad = await createRun({ trigger: 5, variables: [{ no: 1 }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_request',
      problems: ['trigger: expected a string', 'variables: expected an object of names to JSON values'],
    });
    const malformed = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: '{"trigger":',
    });
    expect(malformed.status).toBe(400);
    // Valid JSON that is not an object gets the router's message, not the parser's.
    for (const text of ['null', '[]', '"x"', '5']) {
      const notObject = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body: text,
      });
      expect(notObject.status).toBe(400);
      expect(await notObject.json()).toEqual({
        error: 'bad_request',
        problems: ['body: expected a JSON object { "trigger"?, "variables"? }'],
      });
    }

    const invalid = await fetch(`${http.server.url}/api/v1/pipelines/broken/runs`, {
      method: 'POST',
      headers: jsonWrite(),
    });
    expect(invalid.status).toBe(422);
    const body = (await invalid.json()) as { problems: { severity: string; keyPath: string; text: string }[] };
    const errors = body.problems.filter((problem) => problem.severity === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.map((problem) => problem.text).join('\n')).toMatch(
      /blocks\[0\]\.executor_type[\s\S]*memory: not a resource quantity|memory: not a resource quantity[\s\S]*blocks\[0\]\.executor_type/,
    );
    expect(
      (await fetch(`${http.server.url}/api/v1/pipelines/nope/runs`, { method: 'POST', headers: jsonWrite() })).status,
    ).toBe(422);
    expect(await http.redis.redis.keys(`${http.redis.prefix}:run*`)).toEqual([]);
  });

  it('answers 422 naming the block for a kind kubedispatch refuses (a dynamic block), writing nothing', async () => {
    const refused = await fetch(`${http.server.url}/api/v1/pipelines/fan_out/runs`, {
      method: 'POST',
      headers: jsonWrite(),
    });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { problems: { severity: string; keyPath: string; text: string }[] };
    expect(body.problems.filter((problem) => problem.severity === 'error')).toEqual([
      expect.objectContaining({
        keyPath: 'blocks[0].configuration.dynamic',
        text: expect.stringMatching(/block "parent" is a dynamic block.*Mage's database/),
      }),
    ]);
    expect(await http.redis.redis.keys(`${http.redis.prefix}:run*`)).toEqual([]);
  });

  it('answers 404 for unknown runs', async () => {
    for (const id of ['999', 'abc', '0']) {
      expect((await fetch(`${http.server.url}/api/v1/runs/${id}`, { headers: bearer() })).status).toBe(404);
      expect(
        (await fetch(`${http.server.url}/api/v1/runs/${id}/cancel`, { method: 'POST', headers: jsonWrite() })).status,
      ).toBe(404);
    }
  });

  it('serves prom-client metrics with queue gauges', async () => {
    await createRun({});
    const text = await (await fetch(`${http.server.url}/metrics`, { headers: bearer() })).text();
    expect(text).toContain('kubedispatch_queue_jobs{queue="block-runs",state="waiting"} 2');
    expect(text).toContain('kubedispatch_queue_jobs{queue="pipeline-triggers",state="failed"} 0');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('serves Bull Board read-only behind Basic auth or the login cookie, assets included', async () => {
    const challenge = await fetch(`${http.server.url}/ui/`);
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Basic/);
    const basic = { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` };
    const page = await fetch(`${http.server.url}/ui/`, { headers: basic });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="root">');
    const asset = /src="([^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(new URL(asset!, `${http.server.url}/ui/`), { headers: basic })).status).toBe(200);

    expect((await fetch(`${http.server.url}/ui/login?token=wrong`, { redirect: 'manual' })).status).toBe(401);
    const login = await fetch(`${http.server.url}/ui/login?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/kubedispatch_token=.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect((await fetch(`${http.server.url}/ui/`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);

    const queues = await fetch(`${http.server.url}/ui/api/queues`, { headers: basic });
    const data = (await queues.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(data.queues.map((queue) => [queue.name, queue.readOnlyMode]).sort()).toEqual([
      ['block-runs', true],
      ['pipeline-triggers', true],
    ]);
  });

  it('refuses to listen beyond loopback without a token, and requires it when bound there', async () => {
    await expect(startHttpServer(http.options({ host: '0.0.0.0', authToken: '' }))).rejects.toThrow(
      InsecureListenError,
    );
    await expect(startHttpServer(http.options({ host: '0.0.0.0', authToken: '' }))).rejects.toThrow(
      /KUBEDISPATCH_AUTH_TOKEN/,
    );
    const wide = await startHttpServer(http.options({ host: '0.0.0.0' }));
    try {
      const url = `http://127.0.0.1:${wide.port}`;
      expect((await fetch(`${url}/api/v1/runs`)).status).toBe(401);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/runs`, { headers: bearer() })).status).toBe(200);
    } finally {
      await wide.close();
    }
  });

  it('serves loopback without a token when none is configured', async () => {
    const open = await startHttpServer(http.options({ authToken: '' }));
    try {
      expect((await fetch(`${open.url}/api/v1/runs`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('auth helpers', () => {
  it('compares tokens whatever their lengths', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches('short', TOKEN)).toBe(false);
    expect(tokenMatches(`${TOKEN}-longer`, TOKEN)).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
