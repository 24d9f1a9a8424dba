import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { positiveInteger } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

/** `kubedispatch retry`: runs a finished run's blocks that did not get done again, in place. */
export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description(
      'retry a failed or cancelled run in place: its blocks that neither succeeded nor are condition_failed run again ' +
        '(new attempts, new Jobs), then their downstream blocks; a dispatcher and a watcher must be running',
    )
    .argument('<run-id>', 'pipeline run id', positiveInteger)
    .addOption(settingsFileOption())
    .action(async (runId: number, options: { config?: string }) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { retryPipelineRun } = await import('../../runs/retry-run.ts');
      const { withRunContext } = await import('../../runs/run-context.ts');
      const env = processEnv();
      await withRunContext(loadSettings(env, options.config), env, {}, async (context) => {
        const report = await retryPipelineRun(context.canceller, runId);
        if (!report.found) throw new Error(`no run ${runId}`);
        if (!report.retried) throw new Error(report.message);
        process.stdout.write(`run ${runId} retried; blocks to run again: ${report.blocks.join(', ')}\n`);
      });
    });
}
