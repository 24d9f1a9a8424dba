import type { Command } from 'commander';
import { positiveInteger } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

interface DispatcherCommandOptions {
  kubeconfig?: string;
  concurrency?: number;
  config?: string;
}

/** `kubedispatch dispatcher`: the same process as `workers/dispatcher.ts`, with flags. */
export function registerDispatcher(program: Command): void {
  program
    .command('dispatcher')
    .description(
      'run a dispatcher: take block runs from the Redis queue and create their Kubernetes Jobs (run any number; stops cleanly on SIGTERM/SIGINT)',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else in-cluster config, else ~/.kube/config)')
    .option(
      '--concurrency <n>',
      'block runs this dispatcher works on at once (default: limits.dispatcherConcurrency)',
      positiveInteger,
    )
    .addOption(settingsFileOption())
    .action(async (options: DispatcherCommandOptions) => {
      const { runService } = await import('../../processes/run-service.ts');
      const { startDispatcher } = await import('../../processes/dispatcher-process.ts');
      await runService('dispatcher', options.config, (basics) =>
        startDispatcher({ ...basics, kubeconfigPath: options.kubeconfig, concurrency: options.concurrency }),
      );
    });
}
