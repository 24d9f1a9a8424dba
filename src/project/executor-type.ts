import type { Env } from '../config/env.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import type { Block, Pipeline } from './model.ts';

export const KUBERNETES_EXECUTOR = 'k8s';
/** Mage's "no particular executor": a block with it follows its pipeline, a pipeline with it the default. */
const FOLLOW_PARENT = new Set(['', 'local_python']);

/**
 * The executor a block runs with, as Mage decides it: the block's own type unless empty or
 * `local_python`, then the pipeline's (same rule), then `DEFAULT_EXECUTOR_TYPE`, which in
 * kubedispatch defaults to `k8s`. Compared case-insensitively.
 */
export function effectiveExecutorType(block: Block, pipeline: Pipeline, env: Env): string {
  for (const type of [block.executorType, pipeline.executorType]) {
    const normalised = type?.trim().toLowerCase() ?? '';
    if (!FOLLOW_PARENT.has(normalised)) return normalised;
  }
  return env['DEFAULT_EXECUTOR_TYPE']?.trim().toLowerCase() || KUBERNETES_EXECUTOR;
}

/** One error per block of the pipeline that kubedispatch cannot run; a run of the pipeline is refused when any. */
export function blocksThatCannotRunHere(pipeline: Pipeline, env: Env): ConfigProblem[] {
  return pipeline.blocks.flatMap((block) => {
    const type = effectiveExecutorType(block, pipeline, env);
    if (type === KUBERNETES_EXECUTOR) return [];
    return [
      {
        severity: 'error' as const,
        file: pipeline.file,
        keyPath: `${block.keyPath}.executor_type`,
        message: `block "${block.uuid}" runs with executor type "${type}", which kubedispatch cannot run; expected k8s (or empty/local_python with the pipeline or DEFAULT_EXECUTOR_TYPE giving k8s)`,
      },
    ];
  });
}
