import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ProblemList, type ConfigProblem } from '../errors/config-problem.ts';
import {
  childPath,
  describeType,
  isPlainObject,
  isReservedKey,
  itemPath,
  type PlainObject,
} from '../input/input-shape.ts';
import { readYamlFile } from '../input/safe-yaml.ts';
import { parseInterval, type ScheduleInterval } from '../mage/execution-date.ts';
import { triggerId } from './trigger-id.ts';

/** Mage's `ScheduleType`. */
export type ScheduleType = 'time' | 'event' | 'api';
/** The statuses a timed-out run may end in (Mage's `settings.timeout_status`; default failed). */
export type TimeoutStatus = 'failed' | 'cancelled';

/** Mage's `SettingsConfig`, every key. */
export interface TriggerSettings {
  skipIfPreviousRunning: boolean;
  allowBlocksToFail: boolean;
  createInitialPipelineRun: boolean;
  landingTimeEnabled: boolean;
  /** Runs of this trigger allowed at once; absent = the pipeline's own limit only. */
  pipelineRunLimit?: number;
  /** Seconds a run may take from its start before it ends in `timeoutStatus`. */
  timeoutSeconds?: number;
  timeoutStatus: TimeoutStatus;
}

/** One trigger of Mage's `pipelines/<uuid>/triggers.yaml`, checked and normalised. */
export interface Trigger {
  /** Stable numeric id (Mage's `pipeline_schedule.id`), see trigger-id.ts. */
  id: number;
  pipelineUuid: string;
  name: string;
  scheduleType: ScheduleType;
  /** As written (`@daily`, a cron expression…), null when absent. */
  scheduleInterval: string | null;
  /** Parsed interval of a time trigger; null for api triggers. */
  interval: ScheduleInterval | null;
  /** ms since epoch (UTC); no runs before it. */
  startTime?: number;
  /** ms since epoch; Mage's `last_enabled_at` as written in the file. */
  lastEnabledAt?: number;
  active: boolean;
  variables: Record<string, unknown>;
  slaSeconds?: number;
  settings: TriggerSettings;
  /** Mage environments the trigger exists in; empty = all. */
  envs: string[];
  /** The API token written in the file, if any (else one is generated and kept in Redis). */
  token?: string;
  description?: string;
  file: string;
}

export interface ProjectTriggers {
  /** Every trigger that is valid on its own; a bad trigger never hides its neighbours. */
  triggers: Trigger[];
  problems: ConfigProblem[];
}

/** Mage's `Trigger` dataclass fields; `Trigger(**config)` raises on any other key. */
const TRIGGER_KEYS = [
  'name',
  'pipeline_uuid',
  'schedule_type',
  'start_time',
  'schedule_interval',
  'status',
  'last_enabled_at',
  'variables',
  'sla',
  'settings',
  'envs',
  'repo_path',
  'description',
  'token',
] as const;
/** Fields without a default: Mage raises when one is missing (null is allowed). */
const REQUIRED_KEYS = ['name', 'schedule_type', 'start_time', 'schedule_interval'] as const;
/** Mage's `SettingsConfig` fields. */
const SETTINGS_KEYS = [
  'skip_if_previous_running',
  'allow_blocks_to_fail',
  'create_initial_pipeline_run',
  'landing_time_enabled',
  'pipeline_run_limit',
  'timeout',
  'timeout_status',
] as const;
const SCHEDULE_TYPES: readonly ScheduleType[] = ['time', 'api', 'event'];
const TIMEOUT_STATUSES: readonly TimeoutStatus[] = ['failed', 'cancelled'];
/** Mage's `VALID_ENVS`. */
export const MAGE_ENVS = ['dev', 'prod', 'staging', 'test', 'test_mage'] as const;

/** Mage's `get_env()`: `ENV` prod/production → prod, anything else (or unset) → dev. */
export function mageEnv(envValue: string | undefined): string {
  const value = (envValue ?? '').trim().toLowerCase();
  return value === 'prod' || value === 'production' ? 'prod' : 'dev';
}

/** Whether a trigger exists in Mage environment `env` (Mage syncs a trigger only where its `envs` allow). */
export function triggerInEnv(trigger: Trigger, env: string): boolean {
  return trigger.envs.length === 0 || trigger.envs.includes(env);
}

/** Collects one trigger's problems; the trigger is used only when it has no error. */
class TriggerReader {
  readonly file: string;
  readonly path: string;
  readonly problems = new ProblemList();
  readonly raw: PlainObject;

  constructor(file: string, path: string, raw: PlainObject) {
    this.file = file;
    this.path = path;
    this.raw = raw;
  }

  /** `key` is a key path below the trigger, already quoted where needed (childPath). */
  error(key: string, message: string): undefined {
    this.problems.error(this.file, key ? `${this.path}.${key}` : this.path, message);
    return undefined;
  }

  wrong(key: string, expected: string, value: unknown): undefined {
    return this.error(key, `expected ${expected}, got ${describeType(value)}`);
  }
}

/** Mage writes `2026-01-01 00:00:00` (UTC, no zone); YAML may already have parsed it as a date. */
function readTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const text = value.trim().replace(' ', 'T');
  const withTime = text.includes('T') ? text : `${text}T00:00:00`;
  const millis = Date.parse(/([zZ]|[+-]\d\d:?\d\d)$/.test(withTime) ? withTime : `${withTime}Z`);
  return Number.isNaN(millis) ? undefined : millis;
}

function optionalTime(reader: TriggerReader, key: string): number | undefined {
  const value = reader.raw[key];
  if (value === null || value === undefined) return undefined;
  return readTime(value) ?? reader.wrong(key, 'a date and time such as "2026-01-01 00:00:00" (UTC)', value);
}

function optionalString(reader: TriggerReader, object: PlainObject, key: string, where = key): string | undefined {
  const value = object[key];
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : reader.wrong(where, 'a string', value);
}

function optionalBoolean(reader: TriggerReader, object: PlainObject, key: string, where: string): boolean {
  const value = object[key];
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  reader.wrong(where, 'true or false', value);
  return false;
}

function optionalPositive(reader: TriggerReader, object: PlainObject, key: string, where: string): number | undefined {
  const value = object[key];
  if (value === null || value === undefined) return undefined;
  if (Number.isSafeInteger(value) && (value as number) > 0) return value as number;
  return reader.wrong(where, 'a whole number ≥ 1', value);
}

function readSettings(
  reader: TriggerReader,
  scheduleType: ScheduleType | undefined,
  interval: ScheduleInterval | null,
): TriggerSettings {
  const settings: TriggerSettings = {
    skipIfPreviousRunning: false,
    allowBlocksToFail: false,
    createInitialPipelineRun: false,
    landingTimeEnabled: false,
    timeoutStatus: 'failed',
  };
  const value = reader.raw['settings'];
  if (value === null || value === undefined) return settings;
  if (!isPlainObject(value)) return reader.wrong('settings', 'a mapping', value) ?? settings;
  for (const key of Object.keys(value)) {
    if (!(SETTINGS_KEYS as readonly string[]).includes(key))
      reader.error(
        childPath('settings', key),
        `unknown setting; Mage's trigger settings are ${SETTINGS_KEYS.join(', ')}`,
      );
  }
  const at = (key: string) => childPath('settings', key);
  settings.skipIfPreviousRunning = optionalBoolean(
    reader,
    value,
    'skip_if_previous_running',
    at('skip_if_previous_running'),
  );
  settings.allowBlocksToFail = optionalBoolean(reader, value, 'allow_blocks_to_fail', at('allow_blocks_to_fail'));
  settings.createInitialPipelineRun = optionalBoolean(
    reader,
    value,
    'create_initial_pipeline_run',
    at('create_initial_pipeline_run'),
  );
  settings.landingTimeEnabled = optionalBoolean(reader, value, 'landing_time_enabled', at('landing_time_enabled'));
  const limit = optionalPositive(reader, value, 'pipeline_run_limit', at('pipeline_run_limit'));
  if (limit !== undefined) settings.pipelineRunLimit = limit;
  const timeout = optionalPositive(reader, value, 'timeout', at('timeout'));
  if (timeout !== undefined) settings.timeoutSeconds = timeout;
  const status = optionalString(reader, value, 'timeout_status', at('timeout_status'));
  if (status !== undefined) {
    if ((TIMEOUT_STATUSES as readonly string[]).includes(status)) settings.timeoutStatus = status as TimeoutStatus;
    else reader.error(at('timeout_status'), `expected ${TIMEOUT_STATUSES.join(' or ')}, got ${JSON.stringify(status)}`);
  }
  // Mage only applies landing time to these presets (PipelineSchedule.landing_time_enabled); elsewhere it would be ignored.
  if (settings.landingTimeEnabled && scheduleType === 'time' && interval && interval.kind !== 'preset') {
    reader.error(
      at('landing_time_enabled'),
      `landing time needs @hourly, @daily, @weekly or @monthly (Mage ignores it for ${interval.text}); remove it or change schedule_interval`,
    );
  }
  return settings;
}

function readEnvs(reader: TriggerReader): string[] {
  const value = reader.raw['envs'];
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return reader.wrong('envs', `a list of ${MAGE_ENVS.join(', ')}`, value) ?? [];
  return value.flatMap((item, index) => {
    if (typeof item === 'string' && (MAGE_ENVS as readonly string[]).includes(item)) return [item];
    reader.error(
      itemPath('envs', index),
      `expected one of ${MAGE_ENVS.join(', ')} (Mage's environments), got ${describeType(item)}`,
    );
    return [];
  });
}

function readVariables(reader: TriggerReader): Record<string, unknown> {
  const value = reader.raw['variables'];
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) return reader.wrong('variables', 'a mapping of names to values', value) ?? {};
  const variables: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (isReservedKey(key)) reader.error(childPath('variables', key), 'this name is reserved; rename the variable');
    // Dates are what YAML makes of unquoted timestamps; Mage keeps them as datetimes, JSON as text.
    else variables[key] = item instanceof Date ? item.toISOString() : item;
  }
  return variables;
}

function readInterval(
  reader: TriggerReader,
  scheduleType: ScheduleType | undefined,
): { text: string | null; interval: ScheduleInterval | null } {
  const value = reader.raw['schedule_interval'];
  if (value === null || value === undefined) {
    if (scheduleType === 'time')
      reader.error(
        'schedule_interval',
        'a time trigger needs a schedule_interval: @once, @hourly, @daily, @weekly, @monthly, @always_on or a 5-field cron expression',
      );
    return { text: null, interval: null };
  }
  if (typeof value !== 'string')
    return { text: null, interval: reader.wrong('schedule_interval', 'a string', value) ?? null };
  if (scheduleType !== 'time') return { text: value, interval: null };
  const parsed = parseInterval(value);
  if (typeof parsed === 'string') return { text: value, interval: reader.error('schedule_interval', parsed) ?? null };
  return { text: value, interval: parsed };
}

function readTrigger(
  file: string,
  pipelineUuid: string,
  raw: unknown,
  path: string,
  problems: ProblemList,
): Trigger | undefined {
  if (!isPlainObject(raw)) {
    problems.error(file, path, `expected a trigger mapping, got ${describeType(raw)}`);
    return undefined;
  }
  const reader = new TriggerReader(file, path, raw);
  for (const key of Object.keys(raw)) {
    if (!(TRIGGER_KEYS as readonly string[]).includes(key))
      reader.error(
        childPath('', key),
        `unknown key; a Mage trigger has ${TRIGGER_KEYS.join(', ')} (Mage skips a trigger with any other key)`,
      );
  }
  for (const key of REQUIRED_KEYS) {
    if (!(key in raw))
      reader.error(
        key,
        `missing; Mage requires ${REQUIRED_KEYS.join(', ')} on every trigger (null is allowed for start_time and schedule_interval of api triggers)`,
      );
  }
  const name = optionalString(reader, raw, 'name')?.trim();
  if ('name' in raw && !name) reader.error('name', 'every trigger needs a name (a non-empty string)');
  const typeText = optionalString(reader, raw, 'schedule_type');
  let scheduleType: ScheduleType | undefined;
  if (typeText !== undefined) {
    if ((SCHEDULE_TYPES as readonly string[]).includes(typeText)) scheduleType = typeText as ScheduleType;
    else reader.error('schedule_type', `expected time, api or event, got ${JSON.stringify(typeText)}`);
  } else if ('schedule_type' in raw) reader.error('schedule_type', 'expected time, api or event, got nothing (null)');
  if (scheduleType === 'event') {
    reader.error(
      'schedule_type',
      "event triggers (Mage's deprecated cloud-event triggers) are not supported: kubedispatch receives no cloud events; use schedule_type: api and call its URL from the event source",
    );
  }
  const { text: scheduleInterval, interval } = readInterval(reader, scheduleType);
  const startTime = optionalTime(reader, 'start_time');
  const lastEnabledAt = optionalTime(reader, 'last_enabled_at');
  const statusText = optionalString(reader, raw, 'status') ?? 'inactive';
  if (statusText !== 'active' && statusText !== 'inactive')
    reader.error('status', `expected active or inactive, got ${JSON.stringify(statusText)}`);
  const sla = optionalPositive(reader, raw, 'sla', 'sla');
  const settings = readSettings(reader, scheduleType, interval);
  const envs = readEnvs(reader);
  const variables = readVariables(reader);
  const token = optionalString(reader, raw, 'token');
  if (token !== undefined && scheduleType !== 'api')
    reader.error('token', 'only api triggers have a token; remove it or set schedule_type: api');
  if (token !== undefined && !/^\w+$/.test(token))
    reader.error(
      'token',
      "Mage's trigger URL only matches letters, digits and _ (the route pattern is \\w+); use such a token",
    );
  const description = optionalString(reader, raw, 'description');
  const declaredUuid = optionalString(reader, raw, 'pipeline_uuid');
  if (declaredUuid !== undefined && declaredUuid !== pipelineUuid)
    reader.error(
      'pipeline_uuid',
      `this file belongs to pipeline "${pipelineUuid}" (Mage overwrites pipeline_uuid with the folder name); remove the key or correct it`,
    );
  if (raw['repo_path'] !== null && raw['repo_path'] !== undefined)
    reader.error(
      'repo_path',
      "Mage's multi-project repo_path is not supported: kubedispatch runs the triggers of one project; remove the key",
    );
  // The scheduler's log and validate name the trigger, not only its position, and say it does not run.
  const named = name
    ? ` (trigger "${name}" does not run until this is fixed; the others do)`
    : ' (this trigger does not run until this is fixed; the others do)';
  problems.addAll(
    reader.problems.items.map((problem) =>
      problem.severity === 'error' ? { ...problem, message: `${problem.message}${named}` } : problem,
    ),
  );
  if (reader.problems.hasErrors || !name || !scheduleType) return undefined;
  return {
    id: triggerId(pipelineUuid, name),
    pipelineUuid,
    name,
    scheduleType,
    scheduleInterval,
    interval,
    ...(startTime === undefined ? {} : { startTime }),
    ...(lastEnabledAt === undefined ? {} : { lastEnabledAt }),
    active: statusText === 'active',
    variables,
    ...(sla === undefined ? {} : { slaSeconds: sla }),
    settings,
    envs,
    ...(token === undefined ? {} : { token }),
    ...(description === undefined ? {} : { description }),
    file,
  };
}

/**
 * Reads one triggers.yaml, reporting every problem to `problems`. Each trigger stands alone, as in
 * Mage (which skips a trigger whose `Trigger(**config)` raises): the valid ones are returned.
 */
export function readTriggerFile(
  file: string,
  pipelineUuid: string,
  problems: ProblemList,
  projectDir?: string,
): Trigger[] {
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
  // Mage keys triggers by (pipeline, name): a second trigger of the same name would overwrite the first.
  const seen = new Set<string>();
  return list.flatMap((raw, index) => {
    const trigger = readTrigger(file, pipelineUuid, raw, itemPath('triggers', index), problems);
    if (!trigger) return [];
    if (seen.has(trigger.name)) {
      problems.error(
        file,
        itemPath('triggers', index),
        `duplicate trigger name "${trigger.name}"; names must be unique in a pipeline (this one is ignored)`,
      );
      return [];
    }
    seen.add(trigger.name);
    return [trigger];
  });
}

/** Two triggers whose ids collide could not be told apart by the API: both are refused, by name. */
function refuseIdCollisions(result: ProjectTriggers): void {
  const byId = new Map<number, Trigger[]>();
  for (const trigger of result.triggers) byId.set(trigger.id, [...(byId.get(trigger.id) ?? []), trigger]);
  for (const group of byId.values()) {
    if (group.length < 2) continue;
    const names = group.map((trigger) => `${trigger.pipelineUuid}/${trigger.name}`).join(', ');
    for (const trigger of group) {
      result.problems.push({
        severity: 'error',
        file: trigger.file,
        keyPath: 'triggers',
        message: `trigger "${trigger.name}" has the same id ${trigger.id} as ${names}; rename one of them`,
      });
    }
    result.triggers = result.triggers.filter((trigger) => !group.includes(trigger));
  }
}

/** Reads `pipelines/<uuid>/triggers.yaml` of every pipeline of the project. */
export function readProjectTriggers(projectDir: string): ProjectTriggers {
  const folder = join(resolve(projectDir), 'pipelines');
  const result: ProjectTriggers = { triggers: [], problems: [] };
  if (!existsSync(folder)) return result;
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(folder, entry.name, 'triggers.yaml');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const problems = new ProblemList();
    result.triggers.push(...readTriggerFile(file, entry.name, problems, projectDir));
    result.problems.push(...problems.items);
  }
  refuseIdCollisions(result);
  return result;
}
