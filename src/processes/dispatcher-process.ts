import { setMaxListeners } from 'node:events';
import { Worker } from 'bullmq';
import { AttemptSecrets } from '../callback/attempt-secrets.ts';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import { createKubeClients, type KubeClients } from '../k8s/api-clients.ts';
import type { ApiRetryPolicy } from '../k8s/api-retry.ts';
import { createKubeConfig } from '../k8s/kube-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Service } from './run-service.ts';
import {
  BLOCK_RETRY_BACKOFF,
  BLOCK_RUN_QUEUE,
  blockRetryDelayMs,
  createBlockRunQueue,
  type BlockRunJobData,
} from '../runs/block-run-queue.ts';
import { checkRedis, closeRedis, closeWorker, connectRedis, stopReconnecting } from '../redis/connection.ts';
import { RedisOutageLog } from '../redis/outage-log.ts';
import { loadRenderContext, renderOptionsOf } from '../render/context.ts';
import { OutcomeWaiter } from '../runs/outcome-waiter.ts';
import { RunStore } from '../runs/run-store.ts';
import { ApiGate } from '../dispatch/api-gate.ts';
import { BlockRenderer } from '../dispatch/block-renderer.ts';
import { createBlockRunProcessor } from '../dispatch/block-run-processor.ts';
import { JobCreator } from '../dispatch/create-job.ts';
import { NamespaceSlots } from '../dispatch/namespace-slots.ts';
import { RetryAfterPause } from '../dispatch/retry-after-pause.ts';
import { fetchServerPod } from '../dispatch/server-pod.ts';
import { TokenBucket } from '../dispatch/token-bucket.ts';

export interface DispatcherOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  /** `--kubeconfig`; else the settings' `kube.kubeconfig` (KUBECONFIG), else in-cluster, else default. */
  kubeconfigPath?: string;
  /** `--concurrency`; else `limits.dispatcherConcurrency`. */
  concurrency?: number;
  /** Tests inject clients; otherwise built from the kubeconfig. */
  kubeClients?: KubeClients;
}

export interface RunningDispatcher extends Service {
  worker: Worker<BlockRunJobData, string>;
  /** Stops taking block runs and hands the ones in flight back to the queue (their Jobs keep running). */
  stop(): Promise<void>;
}

/**
 * BullMQ's queue-wide rate limit (`queue.rateLimit`, used for the shared Retry-After pause) is only
 * honoured by workers that have a limiter; this one is far above any real rate, so only the
 * pause ever limits.
 */
const EFFECTIVELY_UNLIMITED = { max: 1_000_000, duration: 1000 };

const LOCK_RENEWAL_ERROR = /^could not renew lock for job /;
/** Queue job ids named in one lost-lock warning; the count says how many there were. */
const LOGGED_IDS = 20;

/** Re-running a stalled block run is safe (same attempt → same Job name → adopted), so allow many. */
const MAX_STALLED_COUNT = 1000;

/** Runs `closers` newest first, each even if an earlier one failed; throws the first failure. */
async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  let failure: unknown;
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (thrown) {
      failure ??= thrown;
    }
  }
  if (failure !== undefined) throw failure;
}

/** Builds and starts one dispatcher process's worker on the block-runs queue. */
export async function startDispatcher(options: DispatcherOptions): Promise<RunningDispatcher> {
  const { settings, env, logger } = options;
  const prefix = settings.queue.prefix;
  const concurrency = options.concurrency ?? settings.limits.dispatcherConcurrency;
  // BullMQ checks this only once its Worker has opened a connection, which it then never closes.
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`dispatcher concurrency must be an integer of at least 1, not ${concurrency}`);
  const retry: ApiRetryPolicy = {
    baseMs: settings.dispatcher.apiRetryBaseMs,
    maxMs: settings.dispatcher.apiRetryMaxMs,
    deadlineMs: settings.dispatcher.apiRetryDeadlineMs,
  };
  const clients =
    options.kubeClients ??
    createKubeClients(
      createKubeConfig(options.kubeconfigPath || settings.kube.kubeconfig || undefined, env),
      settings.kube.requestTimeoutMs,
    );
  const serverPod = settings.dispatcher.ownPodDefaults
    ? await fetchServerPod(clients.core, env, retry).catch((thrown: unknown) => {
        logger.warn({ err: toError(thrown) }, "could not read the dispatcher's own pod; Jobs get no defaults from it");
        return undefined;
      })
    : undefined;
  const renderContext = loadRenderContext(env, renderOptionsOf(settings, serverPod));

  // Everything opened from here on is closed, newest first, by a stop, and by a failed start too:
  // a start that throws after connecting must not leave the process alive on open handles.
  const opened: (() => Promise<void> | void)[] = [];
  const redis = await connectRedis(settings.redis.url);
  opened.push(() => closeRedis(redis));
  const stopping = new AbortController();
  try {
    const subscriber = await connectRedis(settings.redis.url);
    opened.push(() => closeRedis(subscriber));
    // ioredis reconnects by itself; an outage is worth a log line when it starts and ends, never a crash.
    const outages = new RedisOutageLog(logger, settings.redis.url);
    outages.watch(redis, subscriber);
    const store = new RunStore(redis, prefix);
    const waiter = new OutcomeWaiter(store, subscriber, logger, settings.dispatcher.outcomePollMs);
    const queue = createBlockRunQueue(redis, prefix);
    opened.push(() => queue.close());
    queue.on('error', (error) => {
      if (!outages.absorb(toError(error))) logger.warn({ err: toError(error).message }, 'block-runs queue error');
    });
    // Every block run in flight (and every backoff sleep) listens for the stop.
    setMaxListeners(0, stopping.signal);
    const slots =
      settings.limits.maxActiveJobsPerNamespace > 0
        ? new NamespaceSlots(
            redis,
            `${prefix}:dispatch:namespace-slots`,
            settings.limits.maxActiveJobsPerNamespace,
            logger,
          )
        : undefined;
    const gate = new ApiGate(
      new TokenBucket(redis, `${prefix}:dispatch:token-bucket`, settings.limits.apiQps, settings.limits.apiBurst),
      new RetryAfterPause(redis, `${prefix}:dispatch:retry-after`),
    );
    const creator = new JobCreator({
      batch: clients.batch,
      gate,
      retry,
      createConcurrency: settings.dispatcher.createConcurrency,
      logger,
      signal: stopping.signal,
    });

    opened.push(() => waiter.stop());
    await waiter.start();
    if (slots) {
      opened.push(() => slots.stop());
      slots.start();
    }
    // The processor stays active while its Job runs, so this caps active Jobs across all dispatchers.
    await queue.setGlobalConcurrency(settings.limits.maxActiveJobs);

    // Without mage.callbackUrl, Mage's command gets no --callback-url (docs/mage-compatibility.md says what is lost).
    const callbacks = settings.mage.callbackUrl
      ? { baseUrl: settings.mage.callbackUrl, secrets: new AttemptSecrets(redis, store.keys) }
      : undefined;
    const renderer = new BlockRenderer(store, renderContext, callbacks);
    const processor = createBlockRunProcessor({
      store,
      queue,
      waiter,
      renderer,
      creator,
      slots,
      logger,
      stopping: stopping.signal,
    });
    const worker = new Worker<BlockRunJobData, string>(BLOCK_RUN_QUEUE, processor, {
      connection: redis,
      prefix,
      concurrency,
      maxStalledCount: MAX_STALLED_COUNT,
      lockDuration: settings.dispatcher.lockDurationMs,
      stalledInterval: settings.dispatcher.stalledIntervalMs,
      limiter: EFFECTIVELY_UNLIMITED,
      settings: {
        backoffStrategy: (attemptsMade, type, _error, job) =>
          type === BLOCK_RETRY_BACKOFF && job
            ? blockRetryDelayMs((job.data as BlockRunJobData).retry, attemptsMade)
            : 0,
      },
    });
    opened.push(() => closeWorker(worker, redis));
    worker.on('error', (error) => {
      // BullMQ reports each lost lock both here and, all together, as 'lockRenewalFailed' below.
      if (!LOCK_RENEWAL_ERROR.test(error.message) && !outages.absorb(error))
        logger.error({ err: error }, 'dispatcher worker error; it keeps running');
    });
    worker.on('lockRenewalFailed', (queueJobIds: string[]) => {
      // While stopping, block runs handed back to the queue race the lock renewal: expected, not news.
      if (stopping.signal.aborted) return;
      logger.warn(
        { count: queueJobIds.length, queueJobIds: queueJobIds.slice(0, LOGGED_IDS) },
        'lost the lock of block runs (this dispatcher stalled longer than dispatcher.lockDurationMs, or Redis lost the lock); another dispatcher takes them over and adopts their Jobs',
      );
    });
    worker.on('failed', (job, error) =>
      logger.info(
        { blockRunId: job?.data.blockRunId, attemptsMade: job?.attemptsMade, reason: error.message },
        'block run attempt failed',
      ),
    );
    logger.info(
      { concurrency: worker.opts.concurrency, maxActiveJobs: settings.limits.maxActiveJobs },
      'dispatcher started',
    );

    let stopped: Promise<void> | undefined;
    const stop = async () => {
      stopping.abort();
      // While Redis is down, handing block runs back cannot work: fail those calls instead of waiting
      // for Redis; the block runs' locks expire and another dispatcher takes them over.
      stopReconnecting(redis);
      stopReconnecting(subscriber);
      await closeAll(opened);
      logger.info('dispatcher stopped');
    };
    return {
      worker,
      stop: () => (stopped ??= stop()),
      ready: () => checkRedis(redis),
    };
  } catch (thrown) {
    stopping.abort();
    await closeAll(opened).catch((error: unknown) =>
      logger.warn({ err: toError(error) }, 'could not close everything after the dispatcher failed to start'),
    );
    throw thrown;
  }
}
