import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { RunPlan } from './plan.ts';

/** Job names start with this, so that the soak's Jobs are easy to tell apart in the simulation. */
export const SOAK_JOB_NAME_PREFIX = 'soak';

/** Writes the Mage project of the plan into `root`: one pipeline per run, blocks as planned (namespace: KUBE_NAMESPACE). */
export function writeSoakProject(root: string, runs: readonly RunPlan[]): void {
  writeFileSync(
    join(root, 'metadata.yaml'),
    dump({
      project_uuid: 'soak',
      k8s_executor_config: {
        job_name_prefix: SOAK_JOB_NAME_PREFIX,
        container_config: { image: 'busybox:1.36' },
        job: { backoff_limit: 0 },
      },
    }),
  );
  for (const run of runs) {
    const dir = join(root, 'pipelines', run.pipelineUuid);
    mkdirSync(dir, { recursive: true });
    const blocks = run.blocks.map((block) => ({
      uuid: block.uuid,
      type: 'custom',
      language: 'python',
      upstream_blocks: block.upstream,
      downstream_blocks: run.blocks.filter((other) => other.upstream.includes(block.uuid)).map((other) => other.uuid),
      retry_config: { retries: block.retries, delay: 0, exponential_backoff: false, max_delay: 0 },
      executor_config: {
        metadata: {
          annotations: {
            'sim.kubedispatch.io/duration': `${block.durationMs}ms`,
            ...(block.fails ? { 'sim.kubedispatch.io/exit-code': '1' } : {}),
          },
        },
      },
    }));
    writeFileSync(
      join(dir, 'metadata.yaml'),
      dump({ uuid: run.pipelineUuid, name: run.pipelineUuid, type: 'python', executor_type: 'k8s', blocks }),
    );
  }
}
