/**
 * The controllers' sense of time. A scale above 1 makes simulated time run faster than wall time
 * (durations, deadlines and backoffs all shrink together), so demos and tests need not wait.
 */
export interface Clock {
  /** Simulated milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms` simulated milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export function scaledClock(scale = 1): Clock {
  if (!(scale > 0)) throw new Error(`clock scale must be positive, got ${scale}`);
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * scale,
    after(ms, fn) {
      const timer = setTimeout(fn, Math.max(0, ms / scale));
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}

let cachedSecond = Number.NaN;
let cachedText = '';

/** metav1.Time serialises with second precision, like the real API server. */
export function formatTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return cachedText;
}
