import { afterAll, describe, expect, it } from 'vitest';
import { BlockRenderer } from '../../../src/dispatch/block-renderer.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { createPipelineRun } from '../../../src/runs/create-run.ts';
import type { RunRequest } from '../../../src/runs/run-plan.ts';
import { testCreator, useServices, writeProject } from '../../scheduler/support.ts';

/**
 * The contract of the block command and its variables, checked against how Mage runs a block
 * (reference: mage-runtime-facts.md §1 `mage run`, §2 partitions, §3 run variables, §9 k8s command).
 * Runs are created through the real planner and Redis; Jobs are rendered by the dispatcher's renderer.
 */
const project = writeProject({
  etl: {
    blocks: [
      { uuid: 'load', retries: 1 },
      { uuid: 'clean', upstream: ['load'] },
    ],
    variables: { region: 'eu', limit: 10, nested: { keep: [1, 2] }, since: '2024-01-01' },
  },
});
afterAll(() => project.remove());

describe('the block command Mage needs without its database', () => {
  const ctx = useServices();
  const context = () => ({ ...loadRenderContext({}, { queuePrefix: ctx.t.prefix }), projectPath: '/home/src/project' });

  /** Creates a run and renders every block at attempts 1 and 2, as dispatchers would. */
  async function runAndRender(request: Partial<RunRequest>) {
    const runId = await createPipelineRun(testCreator(ctx.services, project.dir), {
      pipelineUuid: 'etl',
      trigger: '',
      variables: {},
      ...request,
    });
    const run = (await ctx.services.store.getRun(runId))!;
    const commands: string[][] = [];
    for (const block of run.blocks) {
      for (const attempt of [1, 2]) {
        // A fresh renderer per Job: nothing may depend on one process's cache.
        const renderer = new BlockRenderer(ctx.services.store, context());
        const { job } = await renderer.render(
          { runId, pipelineUuid: 'etl', blockUuid: block.blockUuid, blockRunId: block.blockRunId, retry: block.retry },
          attempt,
        );
        commands.push(job.spec?.template.spec?.containers[0]?.command ?? []);
      }
    }
    return { run, commands };
  }

  function parts(command: string[]) {
    const value = (flag: string) => command[command.indexOf(flag) + 1]!;
    return {
      partition: value('--execution-partition'),
      variables: JSON.parse(value('--runtime-vars')) as Record<string, unknown>,
    };
  }

  it("is Mage's own block command with the partition and variables, and never Mage's database ids", async () => {
    const { commands } = await runAndRender({});
    for (const command of commands) {
      expect(command.slice(0, 9)).toEqual([
        '/app/run_app.sh',
        'mage',
        'run',
        '/home/src/project',
        'etl',
        '--block-uuid',
        expect.stringMatching(/^(load|clean)$/),
        '--executor-type',
        'local_python',
      ]);
      expect(command.slice(9, 11)).toEqual(['--execution-partition', expect.any(String)]);
      expect(command[11]).toBe('--runtime-vars');
      expect(command).toHaveLength(13);
      expect(command).not.toContain('--pipeline-run-id');
      expect(command).not.toContain('--block-run-id');
    }
  });

  it.each([
    [
      'a time trigger',
      { id: 7, scheduleType: 'time', scheduleInterval: '@daily', variables: {} },
      '2024-01-01T00:00:00Z',
      '7/20240101T000000',
    ],
    [
      'an API trigger',
      { id: 8, scheduleType: 'api', scheduleInterval: null, variables: {} },
      '2024-01-01T12:34:56.789Z',
      '8/20240101T123456_789000',
    ],
    [
      'an event trigger',
      { id: 9, scheduleType: 'event', scheduleInterval: null, variables: {} },
      '2024-01-01T12:34:56Z',
      '9/20240101T123456_000000',
    ],
  ] as const)(
    "uses Mage's partition format for %s, the same for every block and attempt",
    async (_name, schedule, date, expected) => {
      const { commands } = await runAndRender({
        trigger: 'T',
        schedule: { ...schedule, variables: { ...schedule.variables } },
        executionDate: new Date(date),
      });
      expect(new Set(commands.map((command) => parts(command).partition))).toEqual(new Set([expected]));
      expect(new Set(commands.map((command) => command.at(-1))).size).toBe(1);
    },
  );

  it('gives manual runs a partition of their own, unique per run, and every run another', async () => {
    const date = new Date('2024-06-01T08:00:00.250Z');
    const first = await runAndRender({ executionDate: date });
    const second = await runAndRender({ executionDate: date });
    expect(parts(first.commands[0]!).partition).toBe(`manual/20240601T080000_250000_${first.run.id}`);
    expect(parts(second.commands[0]!).partition).toBe(`manual/20240601T080000_250000_${second.run.id}`);
    expect(first.run.executionPartition).toBe(parts(first.commands[0]!).partition);
    for (const { commands } of [first, second]) expect(new Set(commands.map((command) => command.at(-1))).size).toBe(1);
  });

  it("passes Mage's run variables with their JSON types and Python's datetime text", async () => {
    const { run, commands } = await runAndRender({
      trigger: 'Nightly',
      variables: { limit: 20, flags: { dry: true } },
      executionDate: new Date('2024-01-01T00:00:00Z'),
      schedule: {
        id: 7,
        scheduleType: 'time',
        scheduleInterval: '@daily',
        variables: { region: 'us', only_trigger: null },
      },
    });
    expect(parts(commands[0]!).variables).toEqual({
      region: 'us',
      limit: 20,
      nested: { keep: [1, 2] },
      since: '2024-01-01',
      only_trigger: null,
      flags: { dry: true },
      ds: '2024-01-01',
      hr: '00',
      env: 'prod',
      event: {},
      execution_date: '2024-01-01 00:00:00+00:00',
      execution_partition: '7/20240101T000000',
      pipeline_run_id: run.id,
      trigger_name: 'Nightly',
      interval_end_datetime: '2024-01-02 00:00:00+00:00',
      interval_seconds: 86400,
      interval_start_datetime: '2024-01-01 00:00:00+00:00',
      interval_start_datetime_previous: '2023-12-31 00:00:00+00:00',
    });
  });

  it('feeds API-trigger event variables into `event` and missing keys, with a naive execution date', async () => {
    const { commands } = await runAndRender({
      variables: { region: 'run' },
      eventVariables: { region: 'event', source: 'webhook' },
      executionDate: new Date('2024-01-01T12:34:56.789Z'),
      schedule: { id: 8, scheduleType: 'api', scheduleInterval: null, variables: {} },
    });
    expect(parts(commands[0]!).variables).toMatchObject({
      region: 'run',
      source: 'webhook',
      event: { region: 'event', source: 'webhook' },
      execution_date: '2024-01-01 12:34:56.789000',
    });
  });

  it("stores the run's own fields, which status and the API show", async () => {
    const { run } = await runAndRender({
      variables: { n: 5 },
      executionDate: new Date('2024-01-01T00:00:00Z'),
      eventVariables: { e: [1] },
      schedule: { id: 8, scheduleType: 'api', scheduleInterval: null, variables: { t: 1 } },
    });
    expect(run).toMatchObject({
      variables: { n: 5 },
      executionDate: '2024-01-01T00:00:00.000Z',
      executionPartition: '8/20240101T000000_000000',
      eventVariables: { e: [1] },
      schedule: { id: 8, scheduleType: 'api', scheduleInterval: null, variables: { t: 1 } },
    });
  });
});
