import type { BlockRunState, RunState, RunWithBlocks } from '../runs/types.ts';

export interface ExpectedBlock {
  state: BlockRunState;
  reason?: string;
  /** Pods Kubernetes retried within the attempt. */
  failedPods?: number;
}

export interface ExpectedOutcome {
  run: RunState;
  blocks: Record<string, ExpectedBlock>;
}

/**
 * What the demo pipeline (examples/project/pipelines/demo_etl) must end in on the simulated
 * cluster: everything succeeds, clean_orders only after Kubernetes replaced its failed first pod,
 * and slow_report fails because it outlives its active_deadline_seconds, which fails the run.
 */
export const DEMO_ETL_OUTCOME: ExpectedOutcome = {
  run: 'failed',
  blocks: {
    load_orders: { state: 'succeeded' },
    load_customers: { state: 'succeeded' },
    clean_orders: { state: 'succeeded', failedPods: 1 },
    join_customers: { state: 'succeeded' },
    train_model: { state: 'succeeded' },
    export_warehouse: { state: 'succeeded' },
    slow_report: { state: 'failed', reason: 'DeadlineExceeded' },
  },
};

/** Every difference between a finished run and what was expected, as readable lines. */
export function outcomeDifferences(run: RunWithBlocks, expected: ExpectedOutcome): string[] {
  const differences: string[] = [];
  if (run.state !== expected.run) differences.push(`run ended ${run.state}, expected ${expected.run}`);
  for (const [uuid, want] of Object.entries(expected.blocks)) {
    const block = run.blocks.find((candidate) => candidate.blockUuid === uuid);
    if (!block) {
      differences.push(`block ${uuid} is missing from the run`);
      continue;
    }
    if (block.state !== want.state) differences.push(`block ${uuid} ended ${block.state}, expected ${want.state}`);
    else if (want.reason && block.reason !== want.reason)
      differences.push(`block ${uuid} failed with ${block.reason ?? 'no reason'}, expected ${want.reason}`);
    else if (want.failedPods !== undefined && (block.failedPods ?? 0) !== want.failedPods) {
      differences.push(
        `block ${uuid} had ${block.failedPods ?? 0} failed pods retried by Kubernetes, expected ${want.failedPods}`,
      );
    }
  }
  return differences;
}
