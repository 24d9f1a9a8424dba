import type { KubeApiError } from '../k8s/api-error.ts';
import type { RetryAfterPause } from './retry-after-pause.ts';
import type { TokenBucket } from './token-bucket.ts';
import { dispatcherMetrics } from './metrics.ts';

/**
 * Job creation is paused for every dispatcher (the API asked us to back off). The block run goes
 * back to the queue without spending an attempt and is taken again once the pause is over.
 */
export class CreationPausedError extends Error {
  override name = 'CreationPausedError';
  readonly remainingMs: number;

  constructor(remainingMs: number) {
    super(`Job creation paused for ${remainingMs} ms after the API answered 429 with Retry-After`);
    this.remainingMs = remainingMs;
  }
}

/** The shared limits every Job-creating request passes: the Retry-After pause, then a token. */
export class ApiGate {
  private readonly bucket: TokenBucket;
  private readonly pause: RetryAfterPause;

  constructor(bucket: TokenBucket, pause: RetryAfterPause) {
    this.bucket = bucket;
    this.pause = pause;
  }

  async beforeRequest(signal?: AbortSignal): Promise<void> {
    const paused = await this.pause.remainingMs();
    if (paused > 0) {
      dispatcherMetrics.rateLimitWaits.inc({ limit: 'retry_after' });
      throw new CreationPausedError(paused);
    }
    const waitedMs = await this.bucket.acquire(signal);
    if (waitedMs > 0) {
      dispatcherMetrics.rateLimitWaits.inc({ limit: 'token_bucket' });
      dispatcherMetrics.rateLimitWaitSeconds.observe(waitedMs / 1000);
    }
  }

  /** A 429 with Retry-After pauses every dispatcher instead of only this request. */
  async onTransientError(error: KubeApiError): Promise<void> {
    if (error.status === 429 && error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
      throw new CreationPausedError(await this.pause.extend(error.retryAfterMs));
    }
  }
}
