import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';

export interface BenchPipeline {
  uuid: string;
  blocks: number;
  /** Simulated run time of every block (`sim.kubedispatch.io/duration`). */
  duration: string;
}

/** Writes a throw-away Mage project with independent blocks, for load that is easy to reason about. */
export function writeBenchProject(pipelines: readonly BenchPipeline[]): string {
  const root = mkdtempSync(join(tmpdir(), 'kubedispatch-bench-project-'));
  writeFileSync(
    join(root, 'metadata.yaml'),
    dump({
      project_uuid: 'bench',
      k8s_executor_config: { job_name_prefix: 'bench', container_config: { image: 'busybox:1.36' } },
    }),
  );
  for (const pipeline of pipelines) {
    const dir = join(root, 'pipelines', pipeline.uuid);
    mkdirSync(dir, { recursive: true });
    const blocks = Array.from({ length: pipeline.blocks }, (_, index) => ({
      uuid: `b${index}`,
      type: 'custom',
      upstream_blocks: [],
      downstream_blocks: [],
    }));
    writeFileSync(
      join(dir, 'metadata.yaml'),
      dump({
        uuid: pipeline.uuid,
        executor_type: 'k8s',
        executor_config: { metadata: { annotations: { 'sim.kubedispatch.io/duration': pipeline.duration } } },
        blocks,
      }),
    );
  }
  return root;
}
