import type { V1Job } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { formatProblem } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { blocksThatCannotRunHere, effectiveExecutorType, KUBERNETES_EXECUTOR } from '../project/executor-type.ts';
import { runValues } from '../mage/run-values.ts';
import { readProject } from '../project/load-project.ts';
import { readProjectTriggers } from '../project/trigger-file.ts';
import { readRenderContext } from './context.ts';
import type { RenderContextOptions } from './context.ts';
import { planBlockJob } from './render-block-job.ts';
import { sharedOutputsWarning } from './shared-outputs.ts';

/** Ids for dry-run rendering; real ids only change the name's digits, never whether rendering works. */
const DRY_RUN_IDS = { pipelineRunId: 1, blockRunId: 1, attempt: 1 };

/**
 * Every problem of a project as the dispatcher would meet it: template, policy and env vars, the
 * project and each pipeline file, blocks kubedispatch cannot run, and a dry-run render of every
 * Kubernetes block, whether blocks that pass data share storage for their outputs, and every
 * pipeline's triggers.yaml. Files that already failed to parse are not rendered from, to avoid echoes.
 */
export function validateProject(dir: string, env: Env, options: RenderContextOptions): ConfigProblem[] {
  const { context, problems: contextProblems } = readRenderContext(env, options);
  const { project, problems: projectProblems } = readProject(dir, undefined, env);
  const problems = [...contextProblems, ...projectProblems, ...readProjectTriggers(dir).problems];
  const brokenFiles = new Set(
    problems.filter((problem) => problem.severity === 'error').map((problem) => problem.file),
  );
  if (contextProblems.some((problem) => problem.severity === 'error') || brokenFiles.has(project.metadataFile))
    return problems;
  for (const pipeline of project.pipelines) {
    problems.push(...blocksThatCannotRunHere(pipeline, env));
    if (brokenFiles.has(pipeline.file)) continue;
    // A manual run without variables of its own, created now: the run's own variables are not known yet.
    const ids = {
      ...DRY_RUN_IDS,
      ...runValues(
        { id: DRY_RUN_IDS.pipelineRunId, trigger: '', variables: {}, createdAt: Date.now() },
        pipeline.variables,
      ),
      dryRun: true,
    };
    const jobs = new Map<string, V1Job>();
    for (const block of pipeline.blocks) {
      if (effectiveExecutorType(block, pipeline, env) !== KUBERNETES_EXECUTOR) continue;
      const missingImage = options.serverPod ? 'error' : 'warning';
      const plan = planBlockJob(context, project, pipeline.uuid, block.uuid, ids, { missingImage });
      problems.push(...plan.problems);
      if (plan.rendered) jobs.set(block.uuid, plan.rendered.job);
    }
    const unshared = sharedOutputsWarning(project, pipeline, jobs, context.projectPath ?? project.dir);
    if (unshared) problems.push(unshared);
  }
  return unique(problems);
}

/** Project-level problems come back once per block rendered from it; users need to read each once. */
function unique(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const text = formatProblem(problem);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}
