import { Option } from 'commander';
import type { Command } from 'commander';
import { dump } from 'js-yaml';
import { processEnv } from '../../config/env.ts';
import { formatProblem } from '../../errors/config-problem.ts';
import { variablesFromAssignments } from '../../runs/run-variables.ts';
import { collectVariable, isoDate, positiveInteger } from '../option-parsers.ts';

interface RenderOptions {
  project: string;
  pipeline: string;
  block: string;
  blockRunId: number;
  pipelineRunId: number;
  attempt: number;
  trigger?: string;
  var?: string[];
  executionDate?: Date;
  serverPod?: string;
  config?: string;
  output: 'yaml' | 'json';
}

/** `kubedispatch render`: the exact Job the dispatcher would create for one block run, offline. */
export function registerRender(program: Command): void {
  program
    .command('render')
    .description(
      'print the Kubernetes Job that would run one block, exactly as the dispatcher would create it (reads the same env vars)',
    )
    .requiredOption('--project <dir>', 'Mage project directory (holds metadata.yaml and pipelines/)')
    .requiredOption('--pipeline <uuid>', 'pipeline uuid (its folder name under pipelines/)')
    .requiredOption('--block <uuid>', 'block uuid')
    .option('--block-run-id <n>', 'block run id', positiveInteger, 1)
    .option('--pipeline-run-id <n>', 'pipeline run id', positiveInteger, 1)
    .option('--attempt <n>', 'attempt number (2 and more add -a<n> to the Job name)', positiveInteger, 1)
    .option('--trigger <name>', 'trigger name (for {trigger_name} and the trigger label)')
    .option(
      '--var <name=value>',
      "run variable (value read as JSON when it is JSON, else text), passed with Mage's run variables as --runtime-vars (repeatable)",
      collectVariable,
    )
    .option(
      '--execution-date <iso>',
      "the run's execution date (ISO 8601, e.g. 2026-01-01T00:00:00Z; default: now), so a rendered Job is reproducible",
      isoDate,
    )
    .option('--server-pod <file>', "pod manifest standing in for the dispatcher's own pod (image, env, mounts…)")
    .option(
      '--config <file>',
      'settings YAML file: its queue.prefix labels the Job, its kube.namespaces bound the namespace (default: KUBEDISPATCH_CONFIG)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (options: RenderOptions) => {
      // Loaded on use so that `kubedispatch --help` and other commands do not pay for the Kubernetes models.
      const { loadSettings } = await import('../../config/settings.ts');
      const { loadProject } = await import('../../project/load-project.ts');
      const { loadRenderContext, readServerPodFile, renderOptionsOf, SERVER_POD_IGNORED } = await import(
        '../../render/context.ts'
      );
      const { renderBlockJob } = await import('../../render/render-block-job.ts');
      const { runValues } = await import('../../mage/run-values.ts');
      const { findPipeline } = await import('../../project/model.ts');
      const env = processEnv();
      const serverPod = options.serverPod ? readServerPodFile(options.serverPod) : undefined;
      const settings = loadSettings(env, options.config);
      if (serverPod && !settings.dispatcher.ownPodDefaults) process.stderr.write(`${SERVER_POD_IGNORED}\n`);
      const context = loadRenderContext(env, renderOptionsOf(settings, serverPod));
      // Only this pipeline, as a run reads it: a broken pipeline elsewhere does not stop the dispatcher either.
      const project = loadProject(options.project, [options.pipeline], env);
      // A manual run (no Mage trigger) with these ids, as `kubedispatch run` would create it.
      const run = {
        id: options.pipelineRunId,
        trigger: options.trigger ?? '',
        variables: variablesFromAssignments(options.var ?? []).variables,
        executionDate: (options.executionDate ?? new Date()).toISOString(),
        createdAt: Date.now(),
      };
      const ids = {
        pipelineRunId: options.pipelineRunId,
        blockRunId: options.blockRunId,
        attempt: options.attempt,
        ...runValues(run, findPipeline(project, options.pipeline)?.variables ?? {}),
        ...(options.trigger !== undefined && { trigger: options.trigger }),
      };
      const { job, warnings } = renderBlockJob(context, project, options.pipeline, options.block, ids);
      for (const warning of warnings) process.stderr.write(`${formatProblem(warning)}\n`);
      process.stdout.write(
        options.output === 'json' ? `${JSON.stringify(job, null, 2)}\n` : dump(job, { noRefs: true }),
      );
    });
}
