import type { AttemptSecrets } from '../callback/attempt-secrets.ts';
import { callbackUrl } from '../callback/callback-url.ts';
import { runValues, type RunValues } from '../mage/run-values.ts';
import { findPipeline, type Project } from '../project/model.ts';
import type { BlockRunJobData } from '../runs/block-run-queue.ts';
import type { RenderContext } from '../render/context.ts';
import { renderBlockJob, type RenderedJob } from '../render/render-block-job.ts';
import type { RunStore } from '../runs/run-store.ts';

/** What a run contributes to rendering: fixed at trigger time, so cached per run id. */
interface RunInputs extends RunValues {
  project: Project;
  trigger: string;
}

/** Where pods report Mage's block status (setting `mage.callbackUrl`) and how their secrets are made. */
export interface CallbackSetup {
  baseUrl: string;
  secrets: AttemptSecrets;
}

/** Runs whose snapshots stay cached; blocks of one run are dispatched close together. */
const CACHE_SIZE = 200;

/**
 * Renders block runs from the project snapshot their run was triggered with, so dispatchers need
 * no access to the project's files and a run is not affected by edits made after it started.
 */
export class BlockRenderer {
  private readonly store: RunStore;
  private readonly context: RenderContext;
  private readonly callbacks: CallbackSetup | undefined;
  private readonly runs = new Map<number, Promise<RunInputs>>();

  constructor(store: RunStore, context: RenderContext, callbacks?: CallbackSetup) {
    this.store = store;
    this.context = context;
    this.callbacks = callbacks;
  }

  /** Throws a ConfigError when the block's configuration is invalid. */
  async render(data: BlockRunJobData, attempt: number): Promise<RenderedJob> {
    const [run, epoch] = await Promise.all([this.runInputs(data.runId), this.store.epoch()]);
    const key = { blockRunId: data.blockRunId, attempt };
    const callbacks = this.callbacks;
    return renderBlockJob(this.context, run.project, data.pipelineUuid, data.blockUuid, {
      pipelineRunId: data.runId,
      blockRunId: data.blockRunId,
      attempt,
      trigger: run.trigger,
      executionPartition: run.executionPartition,
      runtimeVariables: run.runtimeVariables,
      ...(callbacks
        ? { callbackUrl: callbackUrl(callbacks.baseUrl, key, await callbacks.secrets.secretFor(key)) }
        : {}),
      epoch,
    });
  }

  private runInputs(runId: number): Promise<RunInputs> {
    let inputs = this.runs.get(runId);
    if (!inputs) {
      inputs = this.load(runId);
      this.runs.set(runId, inputs);
      // Forget failures (a Redis hiccup must not stick) and the oldest run beyond the cache size.
      inputs.catch(() => this.runs.delete(runId));
      if (this.runs.size > CACHE_SIZE) this.runs.delete(this.runs.keys().next().value!);
    }
    return inputs;
  }

  private async load(runId: number): Promise<RunInputs> {
    const [project, record] = await Promise.all([
      this.store.getProjectSnapshot<Project>(runId),
      this.store.getRunRecord(runId),
    ]);
    if (!project || !record) throw new Error(`run ${runId}: its record or project snapshot is missing from Redis`);
    const pipeline = findPipeline(project, record.pipelineUuid);
    // Snapshots taken before pipeline variables were read have none.
    return { project, trigger: record.trigger, ...runValues(record, pipeline?.variables ?? {}) };
  }
}
