import { describe, expect, it } from 'vitest';
import { mageRunVariables, type RunVariablesInput } from '../../../src/mage/run-variables.ts';
import type { MageSchedule } from '../../../src/mage/schedule.ts';

// Expected values follow PipelineRun.get_variables (mage_ai/orchestration/db/models/schedules.py; reference facts §3).
function input(overrides: Partial<RunVariablesInput> = {}): RunVariablesInput {
  return {
    pipelineVariables: {},
    variables: {},
    executionDate: new Date('2024-01-01T00:00:00Z'),
    executionPartition: '3/20240101T000000',
    pipelineRunId: 17,
    triggerName: 'nightly',
    ...overrides,
  };
}

function schedule(
  scheduleType: MageSchedule['scheduleType'],
  scheduleInterval: string | null,
  variables: Record<string, unknown> = {},
): MageSchedule {
  return { id: 3, scheduleType, scheduleInterval, variables };
}

describe('mageRunVariables', () => {
  it('merges pipeline < trigger < run variables, event variables only where missing, then the forced keys', () => {
    const variables = mageRunVariables(
      input({
        pipelineVariables: { a: 'pipeline', b: 'pipeline', c: 'pipeline', keep: [1, { x: null }] },
        schedule: schedule('event', null, { b: 'trigger', c: 'trigger' }),
        variables: { c: 'run', env: 'dev', ds: 'mine', event: { from: 'run' } },
        eventVariables: { a: 'event', d: 'event', source: 's3' },
      }),
    );
    expect(variables).toEqual({
      a: 'pipeline',
      b: 'trigger',
      c: 'run',
      keep: [1, { x: null }],
      d: 'event',
      source: 's3',
      ds: '2024-01-01',
      hr: '00',
      env: 'prod',
      event: { from: 'run', a: 'event', d: 'event', source: 's3' },
      execution_date: '2024-01-01 00:00:00+00:00',
      execution_partition: '3/20240101T000000',
      pipeline_run_id: 17,
      trigger_name: 'nightly',
    });
  });

  it.each([
    ['api', 'naive utcnow()', '2024-05-06 07:08:09.123000'],
    ['event', 'UTC-aware', '2024-05-06 07:08:09.123000+00:00'],
    [undefined, 'UTC-aware (manual run)', '2024-05-06 07:08:09.123000+00:00'],
  ] as const)("prints a %s run's execution_date as str() of a %s datetime", (type, _kind, expected) => {
    const variables = mageRunVariables(
      input({ executionDate: new Date('2024-05-06T07:08:09.123Z'), ...(type && { schedule: schedule(type, null) }) }),
    );
    expect(variables).toMatchObject({ execution_date: expected, ds: '2024-05-06', hr: '07', event: {} });
    expect(Object.keys(variables).filter((key) => key.startsWith('interval_'))).toEqual([]);
  });

  it('replaces an `event` that is not an object with the event variables', () => {
    expect(mageRunVariables(input({ variables: { event: 'x' }, eventVariables: { k: 1 } })).event).toEqual({ k: 1 });
  });

  it.each([
    ['@hourly', '2024-01-01T05:00:00Z', 3600, '2024-01-01 06:00:00+00:00', '2024-01-01 04:00:00+00:00'],
    ['@daily', '2024-01-01T00:00:00Z', 86400, '2024-01-02 00:00:00+00:00', '2023-12-31 00:00:00+00:00'],
    ['@weekly', '2024-01-01T00:00:00Z', 604800, '2024-01-08 00:00:00+00:00', '2023-12-25 00:00:00+00:00'],
    ['@monthly', '2024-01-01T00:00:00Z', 31 * 86400, '2024-02-01 00:00:00+00:00', '2023-12-01 00:00:00+00:00'],
    ['@monthly', '2024-02-01T00:00:00Z', 29 * 86400, '2024-03-01 00:00:00+00:00', '2024-01-03 00:00:00+00:00'],
    ['@monthly', '2023-02-01T00:00:00Z', 28 * 86400, '2023-03-01 00:00:00+00:00', '2023-01-04 00:00:00+00:00'],
    ['@monthly', '2024-01-31T00:00:00Z', 29 * 86400, '2024-02-29 00:00:00+00:00', '2024-01-02 00:00:00+00:00'],
    ['0 */6 * * *', '2024-01-01T06:00:00Z', 21600, '2024-01-01 12:00:00+00:00', '2024-01-01 00:00:00+00:00'],
    // Irregular cron: the length is next tick minus this one; the previous start is start − length, as Mage computes it.
    ['0 9,17 * * *', '2024-01-01T09:00:00Z', 28800, '2024-01-01 17:00:00+00:00', '2024-01-01 01:00:00+00:00'],
  ])(
    'time trigger %s at %s: interval_seconds %d, end %s, previous start %s',
    (interval, start, seconds, end, previous) => {
      const variables = mageRunVariables(
        input({ schedule: schedule('time', interval), executionDate: new Date(start) }),
      );
      expect(variables).toMatchObject({
        interval_start_datetime: variables['execution_date'],
        interval_seconds: seconds,
        interval_end_datetime: end,
        interval_start_datetime_previous: previous,
      });
    },
  );

  it.each(['@once', '@always_on', null, 'not a cron'])('time trigger %j: only the interval start', (interval) => {
    const variables = mageRunVariables(input({ schedule: schedule('time', interval) }));
    expect(variables).toMatchObject({
      interval_start_datetime: '2024-01-01 00:00:00+00:00',
      interval_seconds: null,
      interval_end_datetime: null,
      interval_start_datetime_previous: null,
    });
  });

  it('re-prints given interval datetimes as Mage parses them and computes none', () => {
    const variables = mageRunVariables(
      input({
        schedule: schedule('time', '@daily'),
        variables: {
          interval_start_datetime: '2024-01-01',
          interval_end_datetime: '2024-01-02T00:00:00Z',
          interval_start_datetime_previous: 'whenever',
        },
      }),
    );
    expect(variables).toMatchObject({
      interval_start_datetime: '2024-01-01 00:00:00',
      interval_end_datetime: '2024-01-02 00:00:00+00:00',
      interval_start_datetime_previous: 'whenever',
    });
    expect(variables).not.toHaveProperty('interval_seconds');
  });

  it('computes the interval when the given interval keys are all falsy (Python truthiness)', () => {
    const variables = mageRunVariables(
      input({ schedule: schedule('time', '@hourly'), variables: { interval_seconds: 0, interval_start_datetime: '' } }),
    );
    expect(variables).toMatchObject({ interval_seconds: 3600, interval_start_datetime: '2024-01-01 00:00:00+00:00' });
  });

  it('keeps a "__proto__" variable as an ordinary key', () => {
    const variables = mageRunVariables(
      input({ variables: JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown> }),
    );
    expect(Object.hasOwn(variables, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
