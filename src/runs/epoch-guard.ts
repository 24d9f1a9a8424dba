import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { EpochLostError, ensureEpoch, readEpoch } from './epoch.ts';

export interface EpochGuardOptions {
  redis: Redis;
  prefix: string;
  intervalMs: number;
  logger: Logger;
  /** Called once, when Redis no longer holds the epoch the process started in. */
  onLost(error: EpochLostError): void;
}

export interface EpochGuard {
  /** The epoch the process started in. */
  readonly epoch: string;
  stop(): void;
}

/**
 * Establishes the installation epoch at start (creating it for a new installation) and then checks,
 * on every reconnection and every `intervalMs`, that Redis still holds it. When it does not, Redis
 * lost its data while the process ran: what the process holds (block runs in hand, caches, waiters)
 * belongs to the earlier life, so it reports and stops (the run-state scripts already refuse its
 * writes) and its supervisor starts it again in the new life.
 */
export async function startEpochGuard(options: EpochGuardOptions): Promise<EpochGuard> {
  const { redis, prefix, logger } = options;
  const epoch = await ensureEpoch(redis, prefix);
  let lost = false;
  let checking = false;
  const check = async (): Promise<void> => {
    if (lost || checking) return;
    checking = true;
    try {
      const now = await readEpoch(redis, prefix);
      if (now === epoch || lost) return;
      lost = true;
      const error = new EpochLostError(epoch, now);
      logger.error({ epoch, redisEpoch: now ?? null }, error.message);
      options.onLost(error);
    } catch (thrown) {
      // Redis away: RedisOutageLog reports it; the reconnection triggers the next check.
      logger.debug({ err: thrown }, 'epoch check failed; trying again');
    } finally {
      checking = false;
    }
  };
  const onReady = () => void check();
  redis.on('ready', onReady);
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();
  logger.debug({ epoch }, 'installation epoch');
  return {
    epoch,
    stop() {
      clearInterval(timer);
      redis.off('ready', onReady);
    },
  };
}
