import type { BlockRunRecord, RunWithBlocks } from './types.ts';
import { TERMINAL_BLOCK_STATES, TERMINAL_RUN_STATES } from './types.ts';

function seconds(from: number | undefined, to: number | undefined): string {
  return from && to ? `${((to - from) / 1000).toFixed(1)}s` : '';
}

/** Why a block ended as it did, in one line (reason, exit code, message). */
function why(block: BlockRunRecord): string {
  const parts = [
    block.reason,
    block.exitCode === undefined ? undefined : `exit code ${block.exitCode}`,
    block.message,
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** Pods Kubernetes itself retried within one attempt (`backoffLimit`), which block attempts do not show. */
function failedPods(block: BlockRunRecord): string | undefined {
  const count = block.failedPods ?? 0;
  if (count === 0) return undefined;
  const pods = `${count} failed pod${count === 1 ? '' : 's'}`;
  return block.state === 'succeeded' ? `${pods} retried by Kubernetes` : pods;
}

/** One progress line: `block load_orders: running (attempt 1/3, job mage-etl-block-12)`. */
export function blockLine(block: BlockRunRecord): string {
  const details = [
    // After a retry of its run, a block's attempts count on: this go may go up to base + maxAttempts.
    block.attempt > 0 ? `attempt ${block.attempt}/${(block.attemptBase ?? 0) + block.maxAttempts}` : undefined,
    block.jobName ? `job ${block.namespace ?? 'default'}/${block.jobName}` : undefined,
    seconds(block.startedAt, block.finishedAt) || undefined,
    failedPods(block),
  ].filter(Boolean);
  // Every end but a plain success says why (condition_failed included: it names the condition).
  const explained = block.state !== 'succeeded' && TERMINAL_BLOCK_STATES.has(block.state);
  return `block ${block.blockUuid}: ${block.state}${details.length > 0 ? ` [${details.join(', ')}]` : ''}${explained ? why(block) : ''}`;
}

/** The human form of `status` and of `run --wait`'s closing summary. */
export function runSummary(run: RunWithBlocks): string {
  const lines = [
    `run ${run.id} of pipeline ${run.pipelineUuid}: ${run.state}${run.reason ? ` (${run.reason})` : ''}${run.retries ? `, retried ${run.retries} time${run.retries === 1 ? '' : 's'}` : ''}`,
    `  trigger: ${run.trigger || '(manual)'}   created: ${new Date(run.createdAt).toISOString()}   took: ${seconds(run.startedAt ?? run.createdAt, run.finishedAt) || '-'}`,
  ];
  if (Object.keys(run.variables).length > 0)
    lines.push(
      `  variables: ${Object.entries(run.variables)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(' ')}`,
    );
  if (run.executionPartition)
    lines.push(`  execution date: ${run.executionDate ?? '-'}   partition: ${run.executionPartition}`);
  for (const block of run.blocks) {
    lines.push(`  ${blockLine(block)}`);
    if (block.state === 'failed' && block.logTail?.length)
      lines.push(...block.logTail.slice(-5).map((line) => `      | ${line}`));
  }
  return lines.join('\n');
}

export function isFinished(run: RunWithBlocks): boolean {
  return TERMINAL_RUN_STATES.has(run.state);
}
