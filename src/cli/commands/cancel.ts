import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { positiveInteger } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

/** `kubedispatch cancel`: cancels a run and deletes its active Jobs. */
export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel a run: unfinished blocks become cancelled and their Kubernetes Jobs are deleted')
    .argument('<run-id>', 'pipeline run id', positiveInteger)
    .option('--reason <text>', 'recorded on the run and its blocks', 'Cancelled by user')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else in-cluster config, else ~/.kube/config)')
    .addOption(settingsFileOption())
    .action(async (runId: number, options: { reason: string; kubeconfig?: string; config?: string }) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { cancelPipelineRun } = await import('../../runs/cancel-run.ts');
      const { withRunContext } = await import('../../runs/run-context.ts');
      const env = processEnv();
      await withRunContext(
        loadSettings(env, options.config),
        env,
        options.kubeconfig ? { kubeconfig: options.kubeconfig } : {},
        async (context) => {
          const report = await cancelPipelineRun(context.canceller, runId, options.reason);
          if (!report.found) throw new Error(`no run ${runId}`);
          const jobs = report.deletedJobs.length > 0 ? `; deleted Jobs: ${report.deletedJobs.join(', ')}` : '';
          process.stdout.write(
            report.cancelled ? `run ${runId} cancelled${jobs}\n` : `run ${runId} had already finished${jobs}\n`,
          );
        },
      );
    });
}
