import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors/config-problem.ts';
import { mageEnv, readProjectTriggers, triggerInEnv } from '../../src/project/trigger-file.ts';
import { triggerId } from '../../src/project/trigger-id.ts';
import { writeProject } from './support.ts';

function triggersOf(triggers: unknown) {
  const project = writeProject({ etl: { blocks: [{ uuid: 'a' }], triggers } });
  try {
    return readProjectTriggers(project.dir);
  } finally {
    project.remove();
  }
}

/** A trigger with Mage's required keys. */
function base(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 't',
    schedule_type: 'time',
    schedule_interval: '@daily',
    start_time: '2026-01-01 00:00:00',
    status: 'active',
    ...overrides,
  };
}

function linesOf(trigger: Record<string, unknown>): string[] {
  return triggersOf({ triggers: [trigger] }).problems.map(formatProblem);
}

describe('triggers.yaml', () => {
  it('reads every Mage key of a valid trigger', () => {
    const { triggers, problems } = triggersOf({
      triggers: [
        base({
          variables: { n: 3, nested: { a: [1, 2] } },
          sla: 600,
          envs: ['prod', 'dev'],
          last_enabled_at: '2026-02-01 00:00:00',
          description: 'nightly',
          pipeline_uuid: 'etl',
          repo_path: null,
          settings: {
            skip_if_previous_running: true,
            allow_blocks_to_fail: true,
            create_initial_pipeline_run: true,
            landing_time_enabled: true,
            pipeline_run_limit: 2,
            timeout: 60,
            timeout_status: 'cancelled',
          },
        }),
      ],
    });
    expect(problems).toEqual([]);
    expect(triggers).toEqual([
      expect.objectContaining({
        id: triggerId('etl', 't'),
        pipelineUuid: 'etl',
        name: 't',
        scheduleType: 'time',
        scheduleInterval: '@daily',
        interval: { kind: 'preset', text: '@daily' },
        startTime: Date.UTC(2026, 0, 1),
        lastEnabledAt: Date.UTC(2026, 1, 1),
        active: true,
        variables: { n: 3, nested: { a: [1, 2] } },
        slaSeconds: 600,
        envs: ['prod', 'dev'],
        description: 'nightly',
        settings: {
          skipIfPreviousRunning: true,
          allowBlocksToFail: true,
          createInitialPipelineRun: true,
          landingTimeEnabled: true,
          pipelineRunLimit: 2,
          timeoutSeconds: 60,
          timeoutStatus: 'cancelled',
        },
      }),
    ]);
  });

  it('defaults: inactive, settings off, timeout_status failed; api triggers with null interval and start time', () => {
    const { triggers, problems } = triggersOf({
      triggers: [
        base({ status: undefined }),
        { name: 'hook', schedule_type: 'api', schedule_interval: null, start_time: null, token: 'abc123' },
      ],
    });
    expect(problems).toEqual([]);
    expect(triggers[0]).toMatchObject({
      active: false,
      settings: {
        skipIfPreviousRunning: false,
        allowBlocksToFail: false,
        createInitialPipelineRun: false,
        landingTimeEnabled: false,
        timeoutStatus: 'failed',
      },
    });
    expect(triggers[1]).toMatchObject({ scheduleType: 'api', interval: null, token: 'abc123', active: false });
  });

  it.each([
    ['@hourly', { kind: 'preset', text: '@hourly' }],
    ['@weekly', { kind: 'preset', text: '@weekly' }],
    ['@monthly', { kind: 'preset', text: '@monthly' }],
    ['@once', { kind: 'once', text: '@once' }],
    ['@always_on', { kind: 'always_on', text: '@always_on' }],
    ['@yearly', { kind: 'cron', text: '@yearly', pattern: '0 0 1 1 *' }],
    ['*/15  * * * 1-5', { kind: 'cron', text: '*/15  * * * 1-5', pattern: '*/15 * * * 1-5' }],
  ])('parses schedule_interval %s', (interval, parsed) => {
    const { triggers, problems } = triggersOf({ triggers: [base({ schedule_interval: interval })] });
    expect(problems).toEqual([]);
    expect(triggers[0]!.interval).toEqual(parsed);
  });

  it.each([
    [{ colour: 'red' }, /triggers\[0\]\.colour: unknown key; a Mage trigger has name, pipeline_uuid/],
    [
      { name: undefined },
      /triggers\[0\]\.name: missing; Mage requires name, schedule_type, start_time, schedule_interval/,
    ],
    [{ start_time: undefined }, /triggers\[0\]\.start_time: missing/],
    [{ schedule_interval: undefined }, /triggers\[0\]\.schedule_interval: missing/],
    [{ schedule_type: undefined }, /triggers\[0\]\.schedule_type: missing/],
    [{ name: 5 }, /triggers\[0\]\.name: expected a string, got the number 5/],
    [{ name: '' }, /triggers\[0\]\.name: every trigger needs a name/],
    [{ schedule_type: 'cron' }, /triggers\[0\]\.schedule_type: expected time, api or event, got "cron"/],
    [
      { schedule_type: 'event' },
      /triggers\[0\]\.schedule_type: event triggers .* not supported: .*use schedule_type: api/,
    ],
    [
      { schedule_interval: '61 * * * *' },
      /triggers\[0\]\.schedule_interval: "61 \* \* \* \*" is not a valid cron expression/,
    ],
    [{ schedule_interval: '0 0 * * * *' }, /triggers\[0\]\.schedule_interval: .*6- and 7-field crons .* refused/],
    [{ schedule_interval: '@sometimes' }, /triggers\[0\]\.schedule_interval: "@sometimes" is not a schedule/],
    [{ schedule_interval: null }, /triggers\[0\]\.schedule_interval: a time trigger needs a schedule_interval/],
    [{ start_time: 'soon' }, /triggers\[0\]\.start_time: expected a date and time/],
    [{ last_enabled_at: 3 }, /triggers\[0\]\.last_enabled_at: expected a date and time/],
    [{ status: 'on' }, /triggers\[0\]\.status: expected active or inactive, got "on"/],
    [{ status: 'Active' }, /triggers\[0\]\.status: expected active or inactive/],
    [{ sla: -1 }, /triggers\[0\]\.sla: expected a whole number ≥ 1/],
    [{ variables: [1] }, /triggers\[0\]\.variables: expected a mapping/],
    [{ envs: ['qa'] }, /triggers\[0\]\.envs\[0\]: expected one of dev, prod, staging, test, test_mage/],
    [{ envs: 'prod' }, /triggers\[0\]\.envs: expected a list/],
    [{ token: 'abc' }, /triggers\[0\]\.token: only api triggers have a token/],
    [{ schedule_type: 'api', token: 'a-b' }, /triggers\[0\]\.token: .*\\w\+/],
    [{ pipeline_uuid: 'other' }, /triggers\[0\]\.pipeline_uuid: this file belongs to pipeline "etl"/],
    [{ repo_path: '/x' }, /triggers\[0\]\.repo_path: .* not supported/],
    [
      { settings: { retry: true } },
      /triggers\[0\]\.settings\.retry: unknown setting; Mage's trigger settings are skip_if_previous_running/,
    ],
    [{ settings: 'fast' }, /triggers\[0\]\.settings: expected a mapping/],
    [{ settings: { skip_if_previous_running: 'yes' } }, /settings\.skip_if_previous_running: expected true or false/],
    [{ settings: { allow_blocks_to_fail: 1 } }, /settings\.allow_blocks_to_fail: expected true or false/],
    [
      { settings: { create_initial_pipeline_run: 'no' } },
      /settings\.create_initial_pipeline_run: expected true or false/,
    ],
    [{ settings: { landing_time_enabled: 'x' } }, /settings\.landing_time_enabled: expected true or false/],
    [
      { schedule_interval: '0 5 * * *', settings: { landing_time_enabled: true } },
      /settings\.landing_time_enabled: landing time needs @hourly/,
    ],
    [{ settings: { pipeline_run_limit: 0 } }, /settings\.pipeline_run_limit: expected a whole number ≥ 1/],
    [{ settings: { timeout: 'long' } }, /settings\.timeout: expected a whole number ≥ 1/],
    [
      { settings: { timeout_status: 'completed' } },
      /settings\.timeout_status: expected failed or cancelled, got "completed"/,
    ],
  ])('refuses %j with file and key path', (overrides, message) => {
    const trigger = base(overrides);
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete trigger[key];
    const lines = linesOf(trigger);
    expect(lines.join('\n')).toMatch(message);
    expect(lines[0]).toMatch(/^error: .*pipelines\/etl\/triggers\.yaml: triggers\[0\]/);
  });

  it('keeps every valid trigger when a neighbour is bad, and reports the bad one', () => {
    const { triggers, problems } = triggersOf({
      triggers: [
        base({ name: 'bad', schedule_interval: '@fortnightly' }),
        base({ name: 'good' }),
        'oops',
        base({ name: 'good' }),
      ],
    });
    expect(triggers.map((trigger) => trigger.name)).toEqual(['good']);
    const lines = problems.map(formatProblem);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /triggers\[0\]\.schedule_interval: "@fortnightly" is not a schedule.* \(trigger "bad" does not run until this is fixed; the others do\)$/,
    );
    expect(lines[1]).toMatch(/triggers\[2\]: expected a trigger mapping/);
    expect(lines[2]).toMatch(/triggers\[3\]: duplicate trigger name "good"/);
  });

  it('refuses a triggers key that is not a list', () => {
    expect(triggersOf({ triggers: 'daily' }).problems.map(formatProblem)).toEqual([
      expect.stringMatching(/triggers: expected a list of triggers/),
    ]);
  });

  it('gives every trigger a stable id derived from pipeline and name', () => {
    expect(triggerId('etl', 'nightly')).toBe(triggerId('etl', 'nightly'));
    expect(triggerId('etl', 'nightly')).not.toBe(triggerId('etl', 'hourly'));
    expect(triggerId('etl', 'nightly')).not.toBe(triggerId('etl2', 'nightly'));
    expect(
      Number.isSafeInteger(triggerId('etl', 'nightly')) &&
        triggerId('etl', 'nightly') > 0 &&
        triggerId('etl', 'nightly') < 2 ** 31,
    ).toBe(true);
  });

  it('maps ENV as Mage get_env() does and filters triggers by envs', () => {
    expect([undefined, '', 'dev', 'staging', 'prod', 'production', 'PROD'].map(mageEnv)).toEqual([
      'dev',
      'dev',
      'dev',
      'dev',
      'prod',
      'prod',
      'prod',
    ]);
    const { triggers } = triggersOf({ triggers: [base({ name: 'all' }), base({ name: 'prod_only', envs: ['prod'] })] });
    expect(triggers.filter((trigger) => triggerInEnv(trigger, 'dev')).map((trigger) => trigger.name)).toEqual(['all']);
    expect(triggers.filter((trigger) => triggerInEnv(trigger, 'prod')).map((trigger) => trigger.name)).toEqual([
      'all',
      'prod_only',
    ]);
  });

  it('reads the example project', () => {
    const { triggers, problems } = readProjectTriggers('examples/project');
    expect(problems).toEqual([]);
    expect(triggers).toContainEqual(
      expect.objectContaining({
        pipelineUuid: 'demo_etl',
        name: 'hourly_refresh',
        interval: { kind: 'preset', text: '@hourly' },
        active: true,
      }),
    );
  });
});
