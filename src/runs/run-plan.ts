import { ConfigError, ProblemList } from '../errors/config-problem.ts';
import { topologicalOrder } from '../project/dag.ts';
import { readProjectAsync, unknownPipeline } from '../project/load-project.ts';
import { findPipeline, type Pipeline, type Project, type RetryConfig } from '../project/model.ts';
import { effectiveRetries, mergedRetryConfig } from '../project/retry-config.ts';
import { executionPartition } from '../mage/execution-partition.ts';
import { mageRunVariables } from '../mage/run-variables.ts';
import type { MageSchedule } from '../mage/schedule.ts';
import { RUN_ID_PLACEHOLDER, type NewRun } from './run-store.ts';
import type { RetryPolicy } from './types.ts';
import type { RenderContext } from '../render/context.ts';
import { planBlockJob } from '../render/render-block-job.ts';

/** What a caller asks for: which pipeline, under which trigger, with which variables (docs: /work/wt/CONTRACT-RUN-REQUEST.md). */
export interface RunRequest {
  pipelineUuid: string;
  /** Trigger name; '' for a manual run without one. */
  trigger: string;
  /** The run's own variables (Mage's pipeline_run.variables), any JSON values. */
  variables: Record<string, unknown>;
  /** A second request with the same key returns the first run instead of creating another. */
  idempotencyKey?: string;
  /** Mage's execution_date; default: now (UTC) at planning. */
  executionDate?: Date;
  /** The Mage trigger (pipeline schedule) that made this run; absent for manual CLI/HTTP runs. */
  schedule?: MageSchedule;
  /** Mage's event_variables (API-trigger body keys other than pipeline_run); feed `event`. */
  eventVariables?: Record<string, unknown>;
  /** Hash of the request the idempotency key came with; a later request with the key must match it. */
  requestHash?: string;
  /**
   * A trigger's `settings.allow_blocks_to_fail`. false: the first failed block stops the run (its
   * pending and queued blocks are cancelled), as Mage. Absent: independent branches go on.
   */
  allowBlocksToFail?: boolean;
}

export interface PlanContext {
  projectDir: string;
  /** Loaded once per process (template, policy, env defaults). */
  render: RenderContext;
}

/** Validation renders with placeholder ids, so no id is allocated before the run is known to be valid. */
const PLACEHOLDER_ID = 1;

/** Mage's resolved `retry_config` as the run store's retry policy. */
export function retryPolicy(config: RetryConfig): RetryPolicy {
  return {
    retries: config.retries,
    delaySeconds: config.delay,
    exponentialBackoff: config.exponentialBackoff,
    maxDelaySeconds: config.maxDelay,
  };
}

/**
 * Renders every block of the pipeline with placeholder ids and throws every problem found so far
 * and by rendering, so a run is refused whole before anything reaches Redis instead of failing
 * block by block later. Blocks whose config could not be read render without it.
 */
function checkEveryBlockRenders(
  context: PlanContext,
  project: Project,
  pipeline: Pipeline,
  run: NewRun,
  problems: ProblemList,
): void {
  const runtimeVariables = mageRunVariables({
    pipelineVariables: pipeline.variables,
    variables: run.variables,
    executionDate: new Date(run.executionDate),
    executionPartition: run.executionPartition,
    pipelineRunId: PLACEHOLDER_ID,
    triggerName: run.trigger,
    ...(run.schedule && { schedule: run.schedule }),
    ...(run.eventVariables && { eventVariables: run.eventVariables }),
  });
  for (const block of pipeline.blocks) {
    // The scheduler is not the dispatcher's pod, whose image fills in a missing one: only a warning here.
    const ids = {
      pipelineRunId: PLACEHOLDER_ID,
      blockRunId: PLACEHOLDER_ID,
      attempt: 1,
      trigger: run.trigger,
      executionPartition: run.executionPartition,
      runtimeVariables,
    };
    problems.addAll(
      planBlockJob(context.render, project, pipeline.uuid, block.uuid, ids, { missingImage: 'warning' }).problems,
    );
  }
  problems.throwIfErrors();
}

/**
 * Loads the project and turns a request into the run to create, or throws a ConfigError listing
 * every problem (unknown pipeline, invalid files, blocks that cannot run here, configs that do not render).
 */
export async function planRun(context: PlanContext, request: RunRequest): Promise<NewRun> {
  if (!context.projectDir) {
    throw ConfigError.single(
      'settings',
      'project.dir',
      'no Mage project configured: pass --project DIR or set KUBEDISPATCH_PROJECT_DIR (project.dir in the settings file)',
    );
  }
  // Only this pipeline: the run's snapshot in Redis, read by every dispatcher, stays small.
  const { project, problems: reading } = await readProjectAsync(
    context.projectDir,
    [request.pipelineUuid],
    context.render.env,
  );
  const pipeline = findPipeline(project, request.pipelineUuid);
  const problems = new ProblemList();
  // Other pipelines are not read, so their problems cannot stop this one.
  problems.addAll(reading);
  if (!pipeline) {
    problems.throwIfErrors();
    throw unknownPipeline(project, request.pipelineUuid);
  }
  const byUuid = new Map(pipeline.blocks.map((block) => [block.uuid, block]));
  const blocks = topologicalOrder(pipeline).map((uuid) => {
    const block = byUuid.get(uuid)!;
    const retry = mergedRetryConfig(project.retryConfig, block.retryConfig);
    // One Job per attempt, and never more attempts than Mage's own loop would make (design.md "Retries").
    return {
      blockUuid: uuid,
      upstream: [...block.upstreamBlocks],
      maxAttempts: effectiveRetries(retry) + 1,
      retry: retryPolicy(retry),
    };
  });
  const executionDate = request.executionDate ?? new Date();
  if (Number.isNaN(executionDate.getTime()))
    throw ConfigError.single('request', 'executionDate', 'expected a valid date');
  const run: NewRun = {
    pipelineUuid: pipeline.uuid,
    projectDir: project.dir,
    trigger: request.trigger,
    variables: request.variables,
    executionDate: executionDate.toISOString(),
    // Fixed here and stored, so every dispatcher renders the same partition for every block and attempt.
    executionPartition: executionPartition({
      executionDate,
      variables: request.variables,
      runId: RUN_ID_PLACEHOLDER,
      ...(request.schedule && { schedule: request.schedule }),
    }),
    ...(request.schedule && { schedule: request.schedule }),
    ...(request.eventVariables && { eventVariables: request.eventVariables }),
    blockRunLimit: pipeline.concurrencyConfig.blockRunLimit ?? 0,
    pipelineRunLimit: pipeline.concurrencyConfig.pipelineRunLimit ?? 0,
    blocks,
    project,
    ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(request.requestHash ? { requestHash: request.requestHash } : {}),
    ...(request.allowBlocksToFail === false ? { stopOnBlockFailure: true } : {}),
  };
  checkEveryBlockRenders(context, project, pipeline, run, problems);
  return run;
}
