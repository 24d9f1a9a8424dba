import type { Command } from 'commander';
import { settingsFileOption } from '../settings-option.ts';

interface WatcherCommandOptions {
  kubeconfig?: string;
  config?: string;
}

/** `kubedispatch watcher`: the same process as `workers/watcher.ts`, with flags. */
export function registerWatcher(program: Command): void {
  program
    .command('watcher')
    .description(
      "run the watcher: decide each block run's outcome from its Kubernetes Job and pods, then clean the Job up " +
        '(run two or more for hot standby: a Redis lease lets one act at a time; stops cleanly on SIGTERM/SIGINT)',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else in-cluster config, else ~/.kube/config)')
    .addOption(settingsFileOption())
    .action(async (options: WatcherCommandOptions) => {
      const { runService } = await import('../../processes/run-service.ts');
      const { startWatcherProcess } = await import('../../processes/watcher-process.ts');
      await runService('watcher', options.config, (basics) =>
        startWatcherProcess({ ...basics, kubeconfigPath: options.kubeconfig }),
      );
    });
}
