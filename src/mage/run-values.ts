import { executionPartition } from './execution-partition.ts';
import { mageRunVariables } from './run-variables.ts';
import type { MageSchedule } from './schedule.ts';

/** The fields of a stored run that Mage's partition and variables depend on. */
export interface StoredRunInputs {
  id: number;
  trigger: string;
  variables: Readonly<Record<string, unknown>>;
  /** ISO 8601; runs stored before it was recorded fall back to createdAt. */
  executionDate?: string;
  executionPartition?: string;
  schedule?: MageSchedule;
  eventVariables?: Readonly<Record<string, unknown>>;
  createdAt: number;
}

export interface RunValues {
  executionPartition: string;
  /** Mage's run variables, passed whole to every block (`--runtime-vars`). */
  runtimeVariables: Record<string, unknown>;
}

/** A run's partition and Mage variables: a pure function of what the run stored, so every dispatcher renders the same. */
export function runValues(run: StoredRunInputs, pipelineVariables: Readonly<Record<string, unknown>>): RunValues {
  const executionDate = new Date(run.executionDate ?? run.createdAt);
  const partition =
    run.executionPartition ??
    executionPartition({
      executionDate,
      variables: run.variables,
      runId: String(run.id),
      ...(run.schedule && { schedule: run.schedule }),
    });
  const runtimeVariables = mageRunVariables({
    pipelineVariables,
    variables: run.variables,
    executionDate,
    executionPartition: partition,
    pipelineRunId: run.id,
    triggerName: run.trigger,
    ...(run.schedule && { schedule: run.schedule }),
    ...(run.eventVariables && { eventVariables: run.eventVariables }),
  });
  return { executionPartition: partition, runtimeVariables };
}
