import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';

export interface TestBlock {
  uuid: string;
  upstream?: string[];
  /** Simulated pod behaviour: annotations of docs/design.md (`sim.kubedispatch.io/...`). */
  annotations?: Record<string, string>;
  retries?: number;
  /** The block's whole `retry_config` as written (instead of `retries` with no delays); `{}` sets no key. */
  retryConfig?: Record<string, unknown>;
  namespace?: string;
}

export interface TestProjectOptions {
  /** The project's `retry_config` (metadata.yaml). */
  retryConfig?: Record<string, unknown>;
  /** The pipeline's `concurrency_config.pipeline_run_limit`: runs beyond it wait. */
  pipelineRunLimit?: number;
}

export interface TestProject {
  dir: string;
  remove(): void;
}

/** Writes a one-pipeline Mage project (`pipeline`) whose blocks run on the simulated cluster. */
export function writeProject(
  blocks: TestBlock[],
  jobNamePrefix = 'disp',
  options: TestProjectOptions = {},
): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'kubedispatch-dispatch-'));
  writeFileSync(
    join(dir, 'metadata.yaml'),
    dump({
      project_uuid: 'dispatch-tests',
      k8s_executor_config: {
        job_name_prefix: jobNamePrefix,
        container_config: { image: 'busybox:1.36' },
        job: { backoff_limit: 0 },
      },
      ...(options.retryConfig ? { retry_config: options.retryConfig } : {}),
    }),
  );
  mkdirSync(join(dir, 'pipelines', 'pipeline'), { recursive: true });
  writeFileSync(
    join(dir, 'pipelines', 'pipeline', 'metadata.yaml'),
    dump({
      uuid: 'pipeline',
      name: 'pipeline',
      type: 'python',
      executor_type: 'k8s',
      ...(options.pipelineRunLimit ? { concurrency_config: { pipeline_run_limit: options.pipelineRunLimit } } : {}),
      blocks: blocks.map((block) => ({
        uuid: block.uuid,
        type: 'custom',
        language: 'python',
        upstream_blocks: block.upstream ?? [],
        downstream_blocks: blocks.filter((other) => other.upstream?.includes(block.uuid)).map((other) => other.uuid),
        // delay 0 keeps tests fast; max_delay must stay above it, or Mage's loop makes no retry at all.
        retry_config: block.retryConfig ?? {
          retries: block.retries ?? 0,
          delay: 0,
          exponential_backoff: false,
          max_delay: 1,
        },
        executor_config: {
          ...(block.namespace && { namespace: block.namespace }),
          metadata: { annotations: { 'sim.kubedispatch.io/duration': '50ms', ...block.annotations } },
        },
      })),
    }),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
