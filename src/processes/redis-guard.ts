import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import { closeRedis, connectRedis } from '../redis/connection.ts';
import { persistenceWarning, readPersistence } from '../redis/persistence.ts';
import type { EpochLostError } from '../runs/epoch.ts';
import { startEpochGuard } from '../runs/epoch-guard.ts';

export interface RedisGuard {
  readonly epoch: string;
  stop(): Promise<void>;
}

/**
 * What every long-running process checks about Redis itself, on a connection of its own: at start,
 * whether Redis keeps its data on disk (a warning saying what is at risk when it does not), and
 * then that Redis still holds the installation epoch the process started in (`onLost` otherwise).
 */
export async function startRedisGuard(
  settings: Settings,
  logger: Logger,
  onLost: (error: EpochLostError) => void,
): Promise<RedisGuard> {
  const redis = await connectRedis(settings.redis.url, { maxRetriesPerRequest: 1 });
  try {
    const persistence = await readPersistence(redis);
    const warning = persistenceWarning(persistence);
    if (warning)
      logger.warn(
        { aof: persistence.aof, snapshots: persistence.snapshots ?? 'unknown', source: persistence.source },
        warning,
      );
    const guard = await startEpochGuard({
      redis,
      prefix: settings.queue.prefix,
      intervalMs: settings.redis.epochCheckIntervalMs,
      logger,
      onLost,
    });
    return {
      epoch: guard.epoch,
      async stop() {
        guard.stop();
        await closeRedis(redis);
      },
    };
  } catch (thrown) {
    await closeRedis(redis);
    throw thrown;
  }
}
