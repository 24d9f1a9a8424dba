import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apiTriggerRunRequest, readTriggerBody, type TriggerBody } from '../../src/http/mage-trigger-router.ts';
import { triggerId } from '../../src/project/trigger-id.ts';
import { TriggerState } from '../../src/scheduler/trigger-state.ts';
import { readProjectTriggers } from '../../src/project/trigger-file.ts';
import { testRedis } from '../support/redis.ts';
import { writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const API_TOKEN = 'api-token-0123456789abcdef0123456789';
const project = writeProject({
  etl: {
    blocks: [{ uuid: 'a' }],
    triggers: {
      triggers: [
        {
          name: 'hook',
          schedule_type: 'api',
          schedule_interval: null,
          start_time: null,
          token: 'secret123',
          variables: { region: 'eu', n: 1 },
        },
        { name: 'generated', schedule_type: 'api', schedule_interval: null, start_time: null },
        {
          name: 'nightly',
          schedule_type: 'time',
          schedule_interval: '@daily',
          start_time: '2026-01-01 00:00:00',
          status: 'active',
        },
        {
          name: 'prod_hook',
          schedule_type: 'api',
          schedule_interval: null,
          start_time: null,
          token: 'p',
          envs: ['prod'],
        },
      ],
    },
  },
});
afterAll(() => project.remove());
const HOOK = triggerId('etl', 'hook');

describe("Mage's API-trigger routes", () => {
  const http = useHttpServer(project.dir, () => ({ authToken: API_TOKEN, mageEnv: 'dev' }));

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${http.server.url}/api/pipeline_schedules/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it("POST <id>/pipeline_runs/<token> creates a run and answers Mage's pipeline_run", async () => {
    const response = await post(`${HOOK}/pipeline_runs/secret123`, {
      pipeline_run: { variables: { n: 5, deep: { x: [1] } }, execution_date: '2026-03-01T12:00:00Z' },
      source: 's3',
      key: 'k',
    });
    expect(response.status).toBe(200);
    const { pipeline_run: run } = (await response.json()) as { pipeline_run: Record<string, unknown> };
    expect(Object.keys(run).sort()).toEqual([
      'backfill_id',
      'completed_at',
      'created_at',
      'event_variables',
      'execution_date',
      'executor_type',
      'id',
      'metrics',
      'passed_sla',
      'pipeline_schedule_id',
      'pipeline_uuid',
      'started_at',
      'status',
      'updated_at',
      'variables',
    ]);
    expect(run).toMatchObject({
      pipeline_schedule_id: HOOK,
      pipeline_uuid: 'etl',
      status: 'initial',
      execution_date: '2026-03-01 12:00:00+00:00',
      event_variables: { source: 's3', key: 'k' },
      passed_sla: false,
      variables: { n: 5, deep: { x: [1] } },
    });
    const stored = (await http.services.store.getRun(run['id'] as number))!;
    expect(stored).toMatchObject({ pipelineUuid: 'etl', trigger: 'hook', variables: { n: 5, deep: { x: [1] } } });
    expect(
      await new TriggerState(http.services.redis, http.services.prefix).unfinishedRuns(http.services.store, HOOK),
    ).toHaveLength(1);
  });

  it('builds the RunRequest of the contract from the body: variables, event variables, execution date, schedule', () => {
    const trigger = readProjectTriggers(project.dir).triggers.find((candidate) => candidate.name === 'hook')!;
    const body = readTriggerBody({
      pipeline_run: { variables: { n: 5 }, execution_date: '2026-03-01T12:00:00' },
      source: 's3',
    }) as TriggerBody;
    expect(body.executionDate).toEqual(new Date(Date.UTC(2026, 2, 1, 12)));
    expect(apiTriggerRunRequest(trigger, body, body.executionDate!.getTime())).toEqual({
      pipelineUuid: 'etl',
      trigger: 'hook',
      variables: { n: 5 },
      executionDate: new Date(Date.UTC(2026, 2, 1, 12)),
      schedule: { id: HOOK, scheduleType: 'api', scheduleInterval: null, variables: { region: 'eu', n: 1 } },
      eventVariables: { source: 's3' },
      allowBlocksToFail: false,
    });
  });

  it('POST <id>/api_trigger takes the token as a Bearer header; the API token is not needed', async () => {
    const response = await post(`${HOOK}/api_trigger`, {}, { authorization: 'Bearer secret123' });
    expect(response.status).toBe(200);
    const { pipeline_run: run } = (await response.json()) as { pipeline_run: Record<string, unknown> };
    expect(run).toMatchObject({ status: 'initial', event_variables: {}, variables: {} });
    expect(Date.now() - Date.parse(String(run['execution_date']).replace(' ', 'T'))).toBeLessThan(60_000);
    // As Mage, the body is JSON whatever the Content-Type says (curl -d sends form-urlencoded).
    const form = await fetch(`${http.server.url}/api/pipeline_schedules/${HOOK}/pipeline_runs/secret123`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ pipeline_run: { variables: { x: 1 } } }),
    });
    expect(((await form.json()) as { pipeline_run: { variables: unknown } }).pipeline_run.variables).toEqual({ x: 1 });
  });

  it('refuses a wrong or missing token (401), an unknown id or a trigger of another env (404), a time trigger (403), a bad body (400)', async () => {
    expect((await post(`${HOOK}/pipeline_runs/wrong`, {})).status).toBe(401);
    const missing = await post(`${HOOK}/api_trigger`, {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { code: 401, message: `Invalid token for pipeline schedule ID ${HOOK}.` },
    });
    expect((await post(`${HOOK}/api_trigger`, {}, { authorization: `Bearer ${API_TOKEN}` })).status).toBe(401);
    expect((await post('12345/pipeline_runs/secret123', {})).status).toBe(404);
    expect((await post(`${triggerId('etl', 'prod_hook')}/pipeline_runs/p`, {})).status).toBe(404);
    expect((await post(`${triggerId('etl', 'nightly')}/api_trigger`, {}, { authorization: 'Bearer x' })).status).toBe(
      403,
    );
    expect((await post(`${HOOK}/pipeline_runs/secret123`, { pipeline_run: { variables: [1] } })).status).toBe(400);
    expect(
      (await post(`${HOOK}/pipeline_runs/secret123`, { pipeline_run: { execution_date: 'tomorrow' } })).status,
    ).toBe(400);
    // Bodies are checked as the API's are: a lone surrogate never reaches Redis.
    const lone = await fetch(`${http.server.url}/api/pipeline_schedules/${HOOK}/pipeline_runs/secret123`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"pipeline_run": {"variables": {"x": "\\ud800"}}}',
    });
    expect(lone.status).toBe(400);
    expect(await lone.text()).toMatch(/lone UTF-16 surrogate/);
    expect(await http.services.store.runIdsNewestFirst(0, 10)).toEqual([]);
  });

  it('generates a token once for a trigger without one and keeps it', async () => {
    const trigger = readProjectTriggers(project.dir).triggers.find((candidate) => candidate.name === 'generated')!;
    const state = new TriggerState(http.services.redis, http.services.prefix);
    const token = await state.apiToken(trigger);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(await state.apiToken(trigger)).toBe(token);
    expect((await post(`${trigger.id}/pipeline_runs/${token}`, {})).status).toBe(200);
  });

  it('GET /api/v1/triggers lists ids behind the API token and never shows tokens', async () => {
    expect((await fetch(`${http.server.url}/api/v1/triggers`)).status).toBe(401);
    const response = await fetch(`${http.server.url}/api/v1/triggers`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const text = await response.text();
    expect(text).not.toMatch(/secret123/);
    const body = JSON.parse(text) as { env: string; triggers: Record<string, unknown>[] };
    expect(body.env).toBe('dev');
    expect(body.triggers).toContainEqual({
      pipeline: 'etl',
      name: 'hook',
      id: HOOK,
      type: 'api',
      interval: null,
      status: 'inactive',
      inEnv: true,
      nextRun: null,
    });
    expect(body.triggers).toContainEqual(
      expect.objectContaining({
        name: 'nightly',
        type: 'time',
        interval: '@daily',
        status: 'active',
        nextRun: expect.stringMatching(/T00:00:00\.000Z$/),
      }),
    );
    expect(body.triggers).toContainEqual(expect.objectContaining({ name: 'prod_hook', inEnv: false }));
  });
});

describe('kubedispatch triggers', () => {
  const run = promisify(execFile);
  it('prints pipeline, name, id, type, interval, status and next run', async () => {
    const { stdout } = await run(process.execPath, ['src/cli/main.ts', 'triggers', '--project', project.dir], {
      env: { PATH: process.env['PATH'], ENV: 'production' },
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PIPELINE\s+NAME\s+ID\s+TYPE\s+INTERVAL\s+STATUS\s+NEXT RUN$/);
    expect(stdout).toMatch(new RegExp(`etl\\s+hook\\s+${HOOK}\\s+api\\s+-\\s+inactive\\s+-`));
    expect(stdout).toMatch(/etl\s+nightly\s+\d+\s+time\s+@daily\s+active\s+\d{4}-\d\d-\d\dT00:00:00\.000Z/);
    expect(stdout).toMatch(/prod_hook\s+\d+\s+api\s+-\s+inactive\s+-/);
    const help = await run(process.execPath, ['src/cli/main.ts', 'triggers', '--help'], {
      env: { PATH: process.env['PATH'] },
    });
    expect(help.stdout).toMatch(/--project <dir>/);
  });

  it("--show-tokens prints the file's token and the one generated and kept in Redis", async () => {
    const t = testRedis();
    try {
      const env = { PATH: process.env['PATH'], REDIS_URL: t.url, KUBEDISPATCH_QUEUE_PREFIX: t.prefix };
      const first = await run(
        process.execPath,
        ['src/cli/main.ts', 'triggers', '--project', project.dir, '--show-tokens', '-o', 'json'],
        { env },
      );
      const tokens = (JSON.parse(first.stdout) as { triggers: { name: string; token?: string }[] }).triggers;
      expect(tokens.find((row) => row.name === 'hook')!.token).toBe('secret123');
      const generated = tokens.find((row) => row.name === 'generated')!.token!;
      expect(generated).toMatch(/^[0-9a-f]{32}$/);
      expect(tokens.find((row) => row.name === 'nightly')!.token).toBeUndefined();
      const second = await run(
        process.execPath,
        ['src/cli/main.ts', 'triggers', '--project', project.dir, '--show-tokens'],
        { env },
      );
      expect(second.stdout).toContain(generated);
    } finally {
      await t.cleanup();
    }
  });
});
