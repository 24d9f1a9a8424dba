import type { RunStore } from './run-store.ts';
import type { RunWithBlocks } from './types.ts';
import { blockLine, isFinished } from './run-report.ts';

/**
 * Calls `onLine` once per block state change (and attempt change) until the run finishes, then
 * returns the finished run. Polls the run store: reading one run is cheap and never misses a
 * change the way a dropped pub/sub message could.
 */
export async function followRun(
  store: RunStore,
  runId: number,
  onLine: (line: string) => void,
  pollMs = 250,
): Promise<RunWithBlocks> {
  const seen = new Map<string, string>();
  for (;;) {
    const run = await store.getRun(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    for (const block of run.blocks) {
      const key = `${block.state}/${block.attempt}`;
      if (seen.get(block.blockUuid) === key) continue;
      seen.set(block.blockUuid, key);
      onLine(blockLine(block));
    }
    if (isFinished(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
