import type { RunStore } from '../../src/runs/run-store.ts';
import { TERMINAL_RUN_STATES, type RunWithBlocks } from '../../src/runs/types.ts';
import { eventually } from './eventually.ts';

/** Resolves with the run once it reached a terminal state. */
export function runFinished(
  store: RunStore,
  runId: number,
  timeoutMs?: number,
  intervalMs?: number,
): Promise<RunWithBlocks> {
  return eventually(
    `run ${runId} to finish`,
    async () => {
      const run = await store.getRun(runId);
      return run && TERMINAL_RUN_STATES.has(run.state) ? run : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}
