import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';

export interface Periodic {
  /** Stops the loop; resolves once a pass in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` now and then every `intervalMs` after the previous pass ended (passes never
 * overlap). A failing pass is logged and the loop goes on: background loops never throw.
 */
export function startPeriodic(name: string, intervalMs: number, pass: () => Promise<void>, logger: Logger): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = pass()
      .catch((thrown: unknown) =>
        logger.error({ loop: name, err: toError(thrown).message }, 'periodic pass failed; retrying next interval'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
