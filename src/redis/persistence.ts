import type { Redis } from 'ioredis';

/** What Redis keeps on disk, as far as it tells. */
export interface Persistence {
  aof: boolean;
  /** Undefined when unknown: CONFIG is disabled and INFO does not show the snapshot schedule. */
  snapshots: boolean | undefined;
  /** Where the answer came from. */
  source: 'CONFIG' | 'INFO';
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Reads `CONFIG GET appendonly` and `save`; where CONFIG is disabled (managed Redis services
 * rename it), falls back to `INFO persistence`, which shows AOF but not the snapshot schedule
 * (only whether a snapshot was ever taken: `rdb_saves`, `rdb_last_bgsave_time_sec`).
 */
export async function readPersistence(redis: Redis): Promise<Persistence> {
  try {
    const [, appendonly] = (await redis.call('CONFIG', 'GET', 'appendonly')) as string[];
    const [, save] = (await redis.call('CONFIG', 'GET', 'save')) as string[];
    return { aof: appendonly === 'yes', snapshots: (save ?? '').trim() !== '', source: 'CONFIG' };
  } catch {
    const info = await redis.info('persistence');
    const saved =
      Number(infoField(info, 'rdb_saves') ?? '0') > 0 ||
      Number(infoField(info, 'rdb_last_bgsave_time_sec') ?? '-1') >= 0;
    return { aof: infoField(info, 'aof_enabled') === '1', snapshots: saved ? true : undefined, source: 'INFO' };
  }
}

/** The warning a process logs at start when Redis may keep nothing on disk; undefined when it persists. */
export function persistenceWarning(persistence: Persistence): string | undefined {
  if (persistence.aof) return undefined;
  if (persistence.snapshots === true) {
    return 'Redis has no append-only file (appendonly no), only RDB snapshots: a restart loses everything written since the last snapshot (runs created or advanced, outcomes), which may then be decided again or lost; set appendonly yes (see docs/operations-redis.md)';
  }
  const what =
    persistence.snapshots === false
      ? 'Redis keeps nothing on disk (appendonly no, save "")'
      : 'Redis has no append-only file and does not say whether it takes RDB snapshots (CONFIG is disabled)';
  return (
    `${what}: if it restarts, every run, queue job and outcome is lost. kubedispatch then reports the runs lost and the Jobs left over ` +
    'and starts a new installation epoch, but the lost runs do not finish; set appendonly yes (see docs/operations-redis.md)'
  );
}
