import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { runKeys } from './keys.ts';

/**
 * The installation epoch: one value per life of Redis (`P:epoch`, created once with the first
 * process that finds none). Everything that can decide a block run carries it (Job labels,
 * outcomes, pub/sub messages, the run-state scripts' guard), so nothing of an earlier life of
 * Redis, one that lost its data, can decide a block run of a later one (docs/operations-redis.md).
 */

const ensureSource = readFileSync(new URL('./lua/ensure-epoch.lua', import.meta.url), 'utf8');

/** Prepended to every run-state script; the caller appends its epoch as the last argument. */
export const EPOCH_GUARD_LUA = readFileSync(new URL('./lua/epoch-guard.lua', import.meta.url), 'utf8');

/** The start of the error a guarded script answers with when the epoch changed. */
const EPOCH_LOST_REPLY = 'KD_EPOCH_LOST';

/** Exit code of a process that stopped because Redis lost its data while it ran: its supervisor restarts it. */
export const EPOCH_LOST_EXIT_CODE = 3;

export class EpochLostError extends Error {
  override name = 'EpochLostError';
  /** The epoch the process started in. */
  readonly expected: string;
  /** Redis's epoch now; undefined when it has none (its data is gone and nobody started since). */
  readonly actual: string | undefined;

  constructor(expected: string, actual: string | undefined) {
    super(
      `Redis lost its data while this process ran: the installation epoch was ${expected}, it is now ${actual ?? 'missing'}; ` +
        'runs of the earlier life are gone and nothing of it may be written into the new one (see docs/operations-redis.md)',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** True for the reply of a guarded script whose caller's epoch is no longer Redis's. */
export function isEpochLostReply(thrown: unknown): boolean {
  return thrown instanceof Error && thrown.message.includes(EPOCH_LOST_REPLY);
}

/** This life's epoch, created when Redis has none. */
export async function ensureEpoch(redis: Redis, prefix: string): Promise<string> {
  return String(await redis.eval(ensureSource, 0, prefix));
}

/** Redis's epoch now, without creating one. */
export async function readEpoch(redis: Redis, prefix: string): Promise<string | undefined> {
  return (await redis.get(runKeys(prefix).epoch)) ?? undefined;
}
