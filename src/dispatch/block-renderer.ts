import type { AttemptSecrets } from '../callback/attempt-secrets.ts';
import { callbackUrl } from '../callback/callback-url.ts';
import { runValues, type RunValues } from '../mage/run-values.ts';
import { findPipeline, type Project } from '../project/model.ts';
import type { BlockRunJobData } from '../runs/block-run-queue.ts';
import type { RenderContext } from '../render/context.ts';
import { renderBlockJob, type RenderedJob } from '../render/render-block-job.ts';
import type { RunStore } from '../runs/run-store.ts';
import { RunSnapshotCache, type LoadedRun } from './run-snapshot-cache.ts';

/** What a run contributes to rendering besides its project snapshot: fixed at trigger time. */
interface RunInputs extends RunValues {
  trigger: string;
}

/** Where pods report Mage's block status (setting `mage.callbackUrl`) and how their secrets are made. */
export interface CallbackSetup {
  baseUrl: string;
  secrets: AttemptSecrets;
}

/**
 * Runs cached, and the JSON size of the distinct snapshots they hold: a 10,000-block pipeline's is
 * about 1.6 M characters (2.7 MB parsed), so ten such runs at once fit; blocks of one run are
 * dispatched close together, and a run evicted is read again from Redis.
 */
const CACHE_LIMITS = { maxRuns: 200, maxSnapshotChars: 16 * 1024 * 1024 };

/**
 * Renders block runs from the project snapshot their run was triggered with, so dispatchers need
 * no access to the project's files and a run is not affected by edits made after it started.
 */
export class BlockRenderer {
  private readonly store: RunStore;
  private readonly context: RenderContext;
  private readonly callbacks: CallbackSetup | undefined;
  private readonly runs = new RunSnapshotCache<Project, RunInputs>((runId) => this.load(runId), CACHE_LIMITS);

  constructor(store: RunStore, context: RenderContext, callbacks?: CallbackSetup) {
    this.store = store;
    this.context = context;
    this.callbacks = callbacks;
  }

  /** Throws a ConfigError when the block's configuration is invalid. */
  async render(data: BlockRunJobData, attempt: number): Promise<RenderedJob> {
    const [{ snapshot: project, rest: run }, epoch] = await Promise.all([
      this.runs.get(data.runId),
      this.store.epoch(),
    ]);
    const key = { blockRunId: data.blockRunId, attempt };
    const callbacks = this.callbacks;
    return renderBlockJob(this.context, project, data.pipelineUuid, data.blockUuid, {
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

  private async load(runId: number): Promise<LoadedRun<Project, RunInputs>> {
    const [project, record] = await Promise.all([
      this.store.getProjectSnapshot<Project>(runId),
      this.store.getRunRecord(runId),
    ]);
    if (!project || !record) throw new Error(`run ${runId}: its record or project snapshot is missing from Redis`);
    const pipeline = findPipeline(project, record.pipelineUuid);
    // Snapshots taken before pipeline variables were read have none.
    return { snapshot: project, rest: { trigger: record.trigger, ...runValues(record, pipeline?.variables ?? {}) } };
  }
}
