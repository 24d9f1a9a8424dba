import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { formatProblem } from '../../errors/config-problem.ts';
import { settingsFileOption } from '../settings-option.ts';

/** `kubedispatch validate`: every problem of a project at once; exit 1 when any is an error. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check the project, every pipeline and its triggers.yaml, the template (K8S_CONFIG_FILE) and the policy (K8S_DEFAULT_CONFIG_PATH); print every problem',
    )
    .requiredOption('--project <dir>', 'Mage project directory (holds metadata.yaml and pipelines/)')
    .option(
      '--server-pod <file>',
      "pod manifest standing in for the dispatcher's own pod; without it a missing image is only a warning",
    )
    .addOption(settingsFileOption())
    .action(async (options: { project: string; serverPod?: string; config?: string }) => {
      // Loaded on use so that `kubedispatch --help` and other commands do not pay for the Kubernetes models.
      const { loadSettings } = await import('../../config/settings.ts');
      const { readServerPodFile, renderOptionsOf, SERVER_POD_IGNORED } = await import('../../render/context.ts');
      const { validateProject } = await import('../../render/validate-project.ts');
      const serverPod = options.serverPod ? readServerPodFile(options.serverPod) : undefined;
      const env = processEnv();
      const settings = loadSettings(env, options.config);
      if (serverPod && !settings.dispatcher.ownPodDefaults) process.stderr.write(`${SERVER_POD_IGNORED}\n`);
      const problems = validateProject(options.project, env, renderOptionsOf(settings, serverPod));
      for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
      const errors = problems.filter((problem) => problem.severity === 'error').length;
      const warnings = problems.length - errors;
      process.stdout.write(
        errors === 0
          ? `ok (${warnings} warning${warnings === 1 ? '' : 's'})\n`
          : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
      );
      if (errors > 0) process.exitCode = 1;
    });
}
