import type { RunRecord, RunWithBlocks } from '../runs/types.ts';

/** Python's `str(datetime)` of an aware UTC datetime, as Mage's `to_dict` writes dates: `2026-01-01 00:00:00+00:00`. */
export function pythonUtcText(millis: number | undefined): string | null {
  if (millis === undefined) return null;
  const iso = new Date(millis).toISOString();
  const micros = iso.slice(20, 23) === '000' ? '' : `.${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${micros}+00:00`;
}

/** Mage's PipelineRunStatus for a run state; a running run none of whose blocks started yet is still `initial`. */
function mageStatus(run: RunWithBlocks): string {
  switch (run.state) {
    case 'waiting':
      return 'initial';
    case 'running':
      return run.blocks.some((block) => block.startedAt !== undefined) ? 'running' : 'initial';
    case 'succeeded':
      return 'completed';
    default:
      return run.state;
  }
}

export interface MageRunExtras {
  scheduleId: number;
  executionDate: number;
  eventVariables: Record<string, unknown>;
}

/** A run as Mage's `PipelineRun.to_dict()`: every column, Mage's names and status values. */
export function magePipelineRun(
  run: RunWithBlocks | (RunRecord & { blocks: RunWithBlocks['blocks'] }),
  extras: MageRunExtras,
): Record<string, unknown> {
  return {
    id: run.id,
    created_at: pythonUtcText(run.createdAt),
    updated_at: pythonUtcText(run.finishedAt ?? run.startedAt ?? run.createdAt),
    pipeline_schedule_id: extras.scheduleId,
    pipeline_uuid: run.pipelineUuid,
    execution_date: pythonUtcText(extras.executionDate),
    status: mageStatus(run),
    started_at: pythonUtcText(run.startedAt),
    completed_at: pythonUtcText(run.finishedAt),
    variables: run.variables,
    passed_sla: run.passedSla ?? false,
    event_variables: extras.eventVariables,
    metrics: null,
    backfill_id: null,
    executor_type: 'k8s',
  };
}
