import { describe, expect, it } from 'vitest';
import {
  currentExecutionDate,
  nextExecutionDate,
  parseInterval,
  type ScheduleInterval,
} from '../../src/mage/execution-date.ts';
import { dueExecutionDate, type ScheduleFacts } from '../../src/scheduler/should-schedule.ts';
import type { Trigger } from '../../src/project/trigger-file.ts';

const at = (iso: string) => Date.parse(iso);
const interval = (text: string) => parseInterval(text) as ScheduleInterval;
/** Wednesday 2026-01-14 10:37:42 UTC. */
const NOW = at('2026-01-14T10:37:42.123Z');

describe("Mage's execution dates (start of the current period, UTC)", () => {
  it.each([
    ['@hourly', '2026-01-14T10:00:00.000Z', '2026-01-14T11:00:00.000Z'],
    ['@daily', '2026-01-14T00:00:00.000Z', '2026-01-15T00:00:00.000Z'],
    ['@weekly', '2026-01-12T00:00:00.000Z', '2026-01-19T00:00:00.000Z'],
    ['@monthly', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['*/15 * * * *', '2026-01-14T10:30:00.000Z', '2026-01-14T10:45:00.000Z'],
    ['0 6 * * 1', '2026-01-12T06:00:00.000Z', '2026-01-19T06:00:00.000Z'],
  ])('%s: current %s, next %s', (text, current, next) => {
    const value = currentExecutionDate(interval(text), NOW);
    expect(new Date(value).toISOString()).toBe(current);
    expect(new Date(nextExecutionDate(interval(text), value)!).toISOString()).toBe(next);
  });

  it('is now for @once and @always_on, which have no next period', () => {
    expect(currentExecutionDate(interval('@once'), NOW)).toBe(NOW);
    expect(currentExecutionDate(interval('@always_on'), NOW)).toBe(NOW);
    expect(nextExecutionDate(interval('@once'), NOW)).toBeUndefined();
  });

  it("weekly on a Monday and on a Sunday is that week's Monday", () => {
    expect(new Date(currentExecutionDate(interval('@weekly'), at('2026-01-12T00:00:00Z'))).toISOString()).toBe(
      '2026-01-12T00:00:00.000Z',
    );
    expect(new Date(currentExecutionDate(interval('@weekly'), at('2026-01-18T23:59:59Z'))).toISOString()).toBe(
      '2026-01-12T00:00:00.000Z',
    );
  });

  it("with landing time, moves the period start to start_time's position", () => {
    const landing = { startTime: at('2025-03-05T12:25:30Z') }; // a Wednesday, the 5th
    expect(new Date(currentExecutionDate(interval('@hourly'), NOW, landing)).toISOString()).toBe(
      '2026-01-14T10:25:30.000Z',
    );
    expect(new Date(currentExecutionDate(interval('@daily'), NOW, landing)).toISOString()).toBe(
      '2026-01-14T12:25:30.000Z',
    );
    expect(new Date(currentExecutionDate(interval('@weekly'), NOW, landing)).toISOString()).toBe(
      '2026-01-14T12:25:30.000Z',
    );
    expect(new Date(currentExecutionDate(interval('@monthly'), NOW, landing)).toISOString()).toBe(
      '2026-01-05T12:25:30.000Z',
    );
  });
});

function trigger(text: string, overrides: Partial<Trigger> = {}, settings: Partial<Trigger['settings']> = {}): Trigger {
  return {
    id: 1,
    pipelineUuid: 'etl',
    name: 't',
    scheduleType: 'time',
    scheduleInterval: text,
    interval: interval(text),
    active: true,
    variables: {},
    envs: [],
    file: 'f',
    settings: {
      skipIfPreviousRunning: false,
      allowBlocksToFail: false,
      createInitialPipelineRun: false,
      landingTimeEnabled: false,
      timeoutStatus: 'failed',
      ...settings,
    },
    ...overrides,
  };
}
const facts = (overrides: Partial<ScheduleFacts> = {}): ScheduleFacts => ({
  enabledAt: at('2026-01-01T00:00:00Z'),
  onceDone: false,
  unfinished: 0,
  runtimes: [],
  ...overrides,
});

describe('should_schedule', () => {
  it('schedules the current period once; a second pass finds it scheduled', () => {
    const due = dueExecutionDate(trigger('@daily'), NOW, facts());
    expect(due).toBe(at('2026-01-14T00:00:00Z'));
    expect(dueExecutionDate(trigger('@daily'), NOW, facts({ lastExecution: due }))).toBeUndefined();
    expect(dueExecutionDate(trigger('@daily'), NOW + 86_400_000, facts({ lastExecution: due }))).toBe(
      at('2026-01-15T00:00:00Z'),
    );
  });

  it('nothing for inactive or api triggers', () => {
    expect(dueExecutionDate(trigger('@daily', { active: false }), NOW, facts())).toBeUndefined();
    expect(dueExecutionDate(trigger('@daily', { scheduleType: 'api' }), NOW, facts())).toBeUndefined();
  });

  it('no runs before start_time, and no period starting before it', () => {
    expect(dueExecutionDate(trigger('@daily', { startTime: NOW + 1 }), NOW, facts())).toBeUndefined();
    expect(
      dueExecutionDate(trigger('@daily', { startTime: at('2026-01-14T08:00:00Z') }), NOW, facts()),
    ).toBeUndefined();
    expect(dueExecutionDate(trigger('@hourly', { startTime: at('2026-01-14T08:00:00Z') }), NOW, facts())).toBe(
      at('2026-01-14T10:00:00Z'),
    );
  });

  it('skips a period that began before the trigger was enabled unless create_initial_pipeline_run', () => {
    const enabled = facts({ enabledAt: at('2026-01-14T09:00:00Z') });
    expect(dueExecutionDate(trigger('@daily'), NOW, enabled)).toBeUndefined();
    expect(dueExecutionDate(trigger('@daily', {}, { createInitialPipelineRun: true }), NOW, enabled)).toBe(
      at('2026-01-14T00:00:00Z'),
    );
    expect(dueExecutionDate(trigger('@hourly'), NOW, enabled)).toBe(at('2026-01-14T10:00:00Z'));
  });

  it('@once runs once at (or after) its start time', () => {
    expect(dueExecutionDate(trigger('@once', { startTime: NOW + 1000 }), NOW, facts())).toBeUndefined();
    expect(dueExecutionDate(trigger('@once', { startTime: NOW - 1000 }), NOW, facts())).toBe(NOW);
    expect(
      dueExecutionDate(trigger('@once', { startTime: NOW - 1000 }), NOW, facts({ onceDone: true })),
    ).toBeUndefined();
  });

  it('@always_on relaunches only when no run is waiting or running', () => {
    expect(dueExecutionDate(trigger('@always_on'), NOW, facts())).toBe(NOW);
    expect(dueExecutionDate(trigger('@always_on'), NOW, facts({ unfinished: 1 }))).toBeUndefined();
  });

  it('landing time starts early by the mean runtime (+ half the standard deviation)', () => {
    const landing = trigger('@daily', { startTime: at('2025-01-01T12:00:00Z') }, { landingTimeEnabled: true });
    // 12:00 lands today; without runtimes the run is due at once (as Mage).
    expect(dueExecutionDate(landing, NOW, facts())).toBe(at('2026-01-14T12:00:00Z'));
    expect(dueExecutionDate(landing, NOW, facts({ runtimes: [3600] }))).toBeUndefined();
    expect(dueExecutionDate(landing, at('2026-01-14T11:00:00Z'), facts({ runtimes: [3600] }))).toBe(
      at('2026-01-14T12:00:00Z'),
    );
    // mean 3600 s, sample sd 848.5 s → ceil(sd / 2) = 425 s more lead.
    expect(dueExecutionDate(landing, at('2026-01-14T10:52:54Z'), facts({ runtimes: [3000, 4200] }))).toBeUndefined();
    expect(dueExecutionDate(landing, at('2026-01-14T10:52:55Z'), facts({ runtimes: [3000, 4200] }))).toBe(
      at('2026-01-14T12:00:00Z'),
    );
  });
});
