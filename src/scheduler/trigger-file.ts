import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ProblemList, type ConfigProblem } from '../errors/config-problem.ts';
import { describeType, isPlainObject, itemPath, childPath, type PlainObject } from '../project/input-shape.ts';
import { readMapping, readString, type FieldReader } from '../project/mage-fields.ts';
import { readYamlFile } from '../project/safe-yaml.ts';
import { variableValue } from './run-variables.ts';

/** When a time trigger fires: a cron pattern (UTC), or once at its start time. */
export type TriggerSchedule = { kind: 'cron'; pattern: string } | { kind: 'once' };

/** One `schedule_type: time` trigger of Mage's `pipelines/<uuid>/triggers.yaml`. */
export interface TimeTrigger {
  pipelineUuid: string;
  name: string;
  schedule: TriggerSchedule;
  /** No tick before this time (ms since epoch); for `@once`, the moment it fires. */
  startTime?: number;
  active: boolean;
  variables: Record<string, string>;
  file: string;
}

export interface ProjectTriggers {
  triggers: TimeTrigger[];
  /** Pipelines whose triggers.yaml has errors: their schedules are left as they are rather than dropped over a typo. */
  unreadable: string[];
  problems: ConfigProblem[];
}

/** Mage's schedule presets as cron (Mage evaluates schedules in UTC). */
const PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
};
const ONCE = '@once';
const CRON_FIELD = /^[0-9A-Za-z*/,?#-]+$/;
/** Trigger types that are not schedules (API and event triggers start runs some other way). */
const NOT_SCHEDULED = new Set(['api', 'event']);

function readSchedule(reader: FieldReader, raw: PlainObject, path: string): TriggerSchedule | undefined {
  const interval = readString(reader, raw, 'schedule_interval', path)?.trim();
  const where = childPath(path, 'schedule_interval');
  if (!interval) {
    reader.problems.error(reader.file, where, `a time trigger needs a schedule_interval (${Object.keys(PRESETS).join(', ')}, ${ONCE} or a 5-field cron expression)`);
    return undefined;
  }
  if (interval === ONCE) return { kind: 'once' };
  const preset = PRESETS[interval.toLowerCase()];
  if (preset) return { kind: 'cron', pattern: preset };
  const fields = interval.split(/\s+/);
  if (interval.startsWith('@') || fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
    reader.problems.error(reader.file, where, `"${interval}" is not a schedule; expected ${Object.keys(PRESETS).join(', ')}, ${ONCE} or a 5-field cron expression such as "*/15 * * * *"`);
    return undefined;
  }
  return { kind: 'cron', pattern: fields.join(' ') };
}

/** Mage writes `start_time` as `2026-01-01 00:00:00` (UTC); YAML may also have parsed it as a date already. */
function readStartTime(reader: FieldReader, raw: PlainObject, path: string): number | undefined {
  const value = raw['start_time'];
  if (value === null || value === undefined) return undefined;
  const where = childPath(path, 'start_time');
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    const text = value.trim().replace(' ', 'T');
    const millis = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
    if (!Number.isNaN(millis)) return millis;
  }
  reader.problems.error(reader.file, where, `expected a date and time such as "2026-01-01 00:00:00" (UTC), got ${describeType(value)}`);
  return undefined;
}

function readStatus(reader: FieldReader, raw: PlainObject, path: string): boolean {
  const status = readString(reader, raw, 'status', path)?.trim().toLowerCase() ?? 'inactive';
  if (status === 'active' || status === 'inactive') return status === 'active';
  reader.problems.error(reader.file, childPath(path, 'status'), `expected active or inactive, got "${status}"`);
  return false;
}

function readVariables(reader: FieldReader, raw: PlainObject, path: string): Record<string, string> {
  const variables: Record<string, string> = {};
  const mapPath = childPath(path, 'variables');
  for (const [key, value] of Object.entries(readMapping(reader, raw, 'variables', path))) {
    const text = variableValue(value);
    if (text !== undefined) variables[key] = text;
    else reader.problems.error(reader.file, childPath(mapPath, key), `expected a string, number or boolean, got ${describeType(value)}`);
  }
  return variables;
}

function readTrigger(reader: FieldReader, pipelineUuid: string, raw: unknown, path: string): TimeTrigger | undefined {
  if (!isPlainObject(raw)) {
    reader.problems.error(reader.file, path, `expected a trigger mapping, got ${describeType(raw)}`);
    return undefined;
  }
  const type = readString(reader, raw, 'schedule_type', path)?.trim().toLowerCase() ?? 'time';
  if (NOT_SCHEDULED.has(type)) return undefined;
  if (type !== 'time') {
    reader.problems.error(reader.file, childPath(path, 'schedule_type'), `expected time, api or event, got "${type}"`);
    return undefined;
  }
  const name = readString(reader, raw, 'name', path)?.trim();
  if (!name) reader.problems.error(reader.file, childPath(path, 'name'), 'every trigger needs a name (a non-empty string)');
  const schedule = readSchedule(reader, raw, path);
  const startTime = readStartTime(reader, raw, path);
  const active = readStatus(reader, raw, path);
  const variables = readVariables(reader, raw, path);
  if (!name || !schedule) return undefined;
  if (schedule.kind === 'once' && startTime === undefined && active) {
    reader.problems.error(reader.file, childPath(path, 'start_time'), `an active ${ONCE} trigger needs a start_time (when to run)`);
    return undefined;
  }
  return { pipelineUuid, name, schedule, ...(startTime === undefined ? {} : { startTime }), active, variables, file: reader.file };
}

/** Reads one triggers.yaml, reporting every problem to `problems`; only time triggers are returned. */
export function readTriggerFile(file: string, pipelineUuid: string, problems: ProblemList, projectDir?: string): TimeTrigger[] {
  let document: unknown;
  try {
    document = readYamlFile(file, projectDir) ?? {};
  } catch (thrown) {
    if (!(thrown instanceof ConfigError)) throw thrown;
    problems.addAll(thrown.problems);
    return [];
  }
  if (!isPlainObject(document)) {
    problems.error(file, '', `expected a mapping with a triggers list, got ${describeType(document)}`);
    return [];
  }
  const list = document['triggers'] ?? [];
  if (!Array.isArray(list)) {
    problems.error(file, 'triggers', `expected a list of triggers, got ${describeType(list)}`);
    return [];
  }
  const reader: FieldReader = { file, problems };
  const triggers = list.flatMap((raw, index) => readTrigger(reader, pipelineUuid, raw, itemPath('triggers', index)) ?? []);
  const seen = new Set<string>();
  triggers.forEach((trigger) => {
    if (seen.has(trigger.name)) problems.error(file, 'triggers', `duplicate trigger name "${trigger.name}"; names must be unique in a pipeline`);
    seen.add(trigger.name);
  });
  return triggers;
}

/** Reads `pipelines/<uuid>/triggers.yaml` of every pipeline of the project. */
export function readProjectTriggers(projectDir: string): ProjectTriggers {
  const folder = join(resolve(projectDir), 'pipelines');
  const result: ProjectTriggers = { triggers: [], unreadable: [], problems: [] };
  if (!existsSync(folder)) return result;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const file = join(folder, entry.name, 'triggers.yaml');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const problems = new ProblemList();
    const triggers = readTriggerFile(file, entry.name, problems, projectDir);
    result.problems.push(...problems.items);
    if (problems.hasErrors) result.unreadable.push(entry.name);
    else result.triggers.push(...triggers);
  }
  return result;
}
