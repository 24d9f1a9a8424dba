import { failure, type ApiStatus } from '../sim/status.ts';

/** The Status bodies a real API server (or the load balancer in front of it) answers with for each code. */
export function injectedStatus(code: 429 | 500 | 503 | 504, retryAfterSeconds: number | undefined): ApiStatus {
  switch (code) {
    case 429:
      return failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {
        retryAfterSeconds: retryAfterSeconds ?? 1,
      });
    case 500:
      return failure(500, 'InternalError', 'Internal error occurred: injected by the kubedispatch chaos proxy');
    case 503:
      return failure(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        retryAfterSeconds ? { retryAfterSeconds } : undefined,
      );
    case 504:
      return failure(
        504,
        'Timeout',
        'Timeout: request did not complete within requested timeout - context deadline exceeded',
      );
  }
}
