import { Option, type Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { positiveInteger } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

/** `kubedispatch status`: a run and every block run (state, attempts, Job, reason, timings). */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show a run and every block run: state, attempts, Job name, reason, exit code, timings')
    .argument('<run-id>', 'pipeline run id', positiveInteger)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(settingsFileOption())
    .action(async (runId: number, options: { output: 'text' | 'json'; config?: string }) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { withRunContext } = await import('../../runs/run-context.ts');
      const { runSummary } = await import('../../runs/run-report.ts');
      const env = processEnv();
      await withRunContext(loadSettings(env, options.config), env, {}, async (context) => {
        const run = await context.services.store.getRun(runId);
        if (!run)
          throw new Error(
            `no run ${runId} (check the id, and that REDIS_URL and the queue prefix are the scheduler's; finished runs are deleted after runs.retentionMs)`,
          );
        process.stdout.write(options.output === 'json' ? `${JSON.stringify(run, null, 2)}\n` : `${runSummary(run)}\n`);
      });
    });
}
