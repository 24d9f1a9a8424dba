import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors/config-problem.ts';
import { readProjectTriggers } from '../../src/scheduler/trigger-file.ts';
import { writeProject } from './support.ts';

function triggersOf(triggers: unknown) {
  const project = writeProject({ etl: { blocks: [{ uuid: 'a' }], triggers } });
  try {
    return readProjectTriggers(project.dir);
  } finally {
    project.remove();
  }
}

describe('triggers.yaml', () => {
  it.each([
    ['@hourly', '0 * * * *'],
    ['@daily', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['*/15  * * * 1-5', '*/15 * * * 1-5'],
  ])('maps %s to cron %s', (interval, pattern) => {
    const { triggers, problems } = triggersOf({ triggers: [{ name: 't', schedule_type: 'time', schedule_interval: interval, status: 'active' }] });
    expect(problems).toEqual([]);
    expect(triggers[0]).toMatchObject({ pipelineUuid: 'etl', name: 't', schedule: { kind: 'cron', pattern }, active: true });
  });

  it('reads start time (UTC), status, variables; skips api triggers; inactive by default', () => {
    const { triggers, problems } = triggersOf({
      triggers: [
        { name: 'nightly', schedule_interval: '@daily', start_time: '2026-01-02 03:04:05', status: 'active', variables: { n: 3, flag: true, s: 'x' } },
        { name: 'by_api', schedule_type: 'api' },
        { name: 'later', schedule_interval: '@once', start_time: '2026-05-01T00:00:00Z' },
      ],
    });
    expect(problems).toEqual([]);
    expect(triggers).toHaveLength(2);
    expect(triggers[0]).toMatchObject({ startTime: Date.UTC(2026, 0, 2, 3, 4, 5), variables: { n: '3', flag: 'true', s: 'x' } });
    expect(triggers[1]).toMatchObject({ name: 'later', schedule: { kind: 'once' }, active: false });
  });

  it('reports every problem with file and key path, and keeps that pipeline unreadable', () => {
    const result = triggersOf({
      triggers: [
        { name: 'bad_cron', schedule_interval: '61 * *', status: 'active' },
        { schedule_interval: '@daily', status: 'on' },
        { name: 'once', schedule_interval: '@once', status: 'active' },
        { name: 'vars', schedule_interval: '@hourly', variables: { nested: { a: 1 } }, start_time: 'soon' },
        'oops',
      ],
    });
    const lines = result.problems.map(formatProblem);
    expect(result.unreadable).toEqual(['etl']);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^error: .*pipelines\/etl\/triggers\.yaml: triggers\[0\]\.schedule_interval: "61 \* \*" is not a schedule/);
    expect(lines.join('\n')).toMatch(/triggers\[1\]\.name: every trigger needs a name/);
    expect(lines.join('\n')).toMatch(/triggers\[1\]\.status: expected active or inactive, got "on"/);
    expect(lines.join('\n')).toMatch(/triggers\[2\]\.start_time: an active @once trigger needs a start_time/);
    expect(lines.join('\n')).toMatch(/triggers\[3\]\.start_time: expected a date and time/);
    expect(lines.join('\n')).toMatch(/triggers\[3\]\.variables\.nested: expected a string, number or boolean/);
    expect(lines.join('\n')).toMatch(/triggers\[4\]: expected a trigger mapping/);
  });

  it('refuses duplicate names and a triggers key that is not a list', () => {
    expect(triggersOf({ triggers: [{ name: 'x', schedule_interval: '@daily' }, { name: 'x', schedule_interval: '@hourly' }] }).problems.map(formatProblem))
      .toEqual([expect.stringMatching(/triggers: duplicate trigger name "x"/)]);
    expect(triggersOf({ triggers: 'daily' }).problems.map(formatProblem)).toEqual([expect.stringMatching(/triggers: expected a list of triggers/)]);
  });

  it('reads the example project', () => {
    const { triggers, problems } = readProjectTriggers('examples/project');
    expect(problems).toEqual([]);
    expect(triggers).toContainEqual(expect.objectContaining({ pipelineUuid: 'demo_etl', name: 'hourly_refresh', schedule: { kind: 'cron', pattern: '0 * * * *' }, active: true }));
  });
});
