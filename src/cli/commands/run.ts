import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { variablesFromAssignments } from '../../runs/run-variables.ts';
import { collectVariable } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

interface RunOptions {
  project?: string;
  pipeline: string;
  trigger?: string;
  var?: string[];
  wait?: boolean;
  config?: string;
}

/** `kubedispatch run`: validates and creates a run directly in Redis; `--wait` follows it to the end. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('validate a pipeline, create a run in Redis and enqueue its first blocks (dispatchers pick them up)')
    .option('--project <dir>', 'Mage project directory (default: project.dir / KUBEDISPATCH_PROJECT_DIR)')
    .requiredOption('--pipeline <uuid>', 'pipeline to run (its folder name under pipelines/)')
    .option('--trigger <name>', 'trigger name recorded with the run and used in Job names')
    .option(
      '--var <name=value>',
      'run variable, stored with the run and passed to Mage as a runtime variable (repeatable)',
      collectVariable,
    )
    .option('--wait', 'print a line per block state change until the run ends; exit 0 only if it succeeded')
    .addOption(settingsFileOption())
    .action(async (options: RunOptions) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { createPipelineRun } = await import('../../runs/create-run.ts');
      const { followRun } = await import('../../runs/follow-run.ts');
      const { withRunContext } = await import('../../runs/run-context.ts');
      const { runSummary } = await import('../../runs/run-report.ts');
      const { variables } = variablesFromAssignments(options.var ?? []);
      const env = processEnv();
      const settings = loadSettings(env, options.config);
      await withRunContext(settings, env, options.project ? { projectDir: options.project } : {}, async (context) => {
        const runId = await createPipelineRun(context.creator, {
          pipelineUuid: options.pipeline,
          trigger: options.trigger ?? '',
          variables,
        });
        process.stdout.write(`run ${runId} created for pipeline ${options.pipeline}\n`);
        if (!options.wait) return;
        const run = await followRun(context.services.store, runId, (line) => process.stdout.write(`${line}\n`));
        process.stdout.write(`${runSummary(run)}\n`);
        if (run.state !== 'succeeded') process.exitCode = 1;
      });
    });
}
