import type { Logger } from '../observability/logger.ts';
import { RunChanges } from '../runs/run-changes.ts';
import type { RunServices } from '../runs/run-services.ts';
import { RunWatcher, type RunWatcherOptions } from '../runs/run-watcher.ts';
import { SseStreams, type SseLimits } from './sse-stream.ts';

/** What the live views of a server share: the run change feed, the watcher over it, the open streams. */
export interface LiveRuns {
  watcher: RunWatcher;
  streams: SseStreams;
  /** Ends every stream, then the feed and its connection. */
  close(): void;
}

export interface LiveRunsOptions {
  streams?: Partial<SseLimits>;
  watch?: RunWatcherOptions;
}

/** Opens the run change feed on a connection of its own (subscriber mode allows nothing else on it). */
export async function openLiveRuns(
  services: RunServices,
  logger: Logger,
  options: LiveRunsOptions = {},
): Promise<LiveRuns> {
  // The feed subscribes again itself after a reconnect, so that it knows when messages flow again.
  const subscriber = services.redis.duplicate({ autoResubscribe: false, lazyConnect: false });
  services.outages.watch(subscriber);
  const changes = await RunChanges.open(subscriber, services.store.keys.changesChannel, logger).catch(
    (thrown: unknown) => {
      subscriber.disconnect();
      throw thrown;
    },
  );
  const watcher = new RunWatcher(services.store, changes, logger, options.watch);
  const streams = new SseStreams(options.streams);
  return {
    watcher,
    streams,
    close() {
      streams.closeAll();
      watcher.close();
      changes.close();
    },
  };
}
