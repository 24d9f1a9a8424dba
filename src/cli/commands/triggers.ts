import { Option, type Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { settingsFileOption } from '../settings-option.ts';

interface TriggersOptions {
  project?: string;
  output: 'text' | 'json';
  showTokens?: boolean;
  config?: string;
}

/** `kubedispatch triggers`: the project's triggers with their stable ids (Mage's schedule ids) and next runs. */
export function registerTriggers(program: Command): void {
  program
    .command('triggers')
    .description(
      "list every pipeline's triggers.yaml triggers: pipeline, name, id (Mage's schedule id, used in API-trigger URLs), type, interval, status, next run (UTC); problems go to stderr",
    )
    .option('--project <dir>', 'Mage project directory (default: project.dir / KUBEDISPATCH_PROJECT_DIR)')
    .option(
      '--show-tokens',
      "also print the token of each api trigger (generated ones are read from Redis: REDIS_URL and the queue prefix must be the scheduler's)",
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(settingsFileOption())
    .action(async (options: TriggersOptions) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { formatProblem } = await import('../../errors/config-problem.ts');
      const { mageEnv, readProjectTriggers } = await import('../../project/trigger-file.ts');
      const { listTriggers } = await import('../../scheduler/trigger-listing.ts');
      const env = processEnv();
      const settings = loadSettings(env, options.config);
      const projectDir = options.project ?? settings.project.dir;
      if (!projectDir)
        throw new Error(
          'no Mage project: pass --project DIR or set KUBEDISPATCH_PROJECT_DIR (project.dir in the settings file)',
        );
      const { triggers, problems } = readProjectTriggers(projectDir);
      const environment = mageEnv(env['ENV']);
      const rows: (ReturnType<typeof listTriggers>[number] & { token?: string })[] = listTriggers(
        triggers,
        environment,
        Date.now(),
      );
      if (options.showTokens) {
        const { withRunContext } = await import('../../runs/run-context.ts');
        const { TriggerState } = await import('../../scheduler/trigger-state.ts');
        await withRunContext(settings, env, { projectDir }, async (context) => {
          const state = new TriggerState(context.services.redis, context.services.prefix);
          for (const [index, trigger] of triggers.entries()) {
            if (trigger.scheduleType === 'api') rows[index]!.token = await state.apiToken(trigger);
          }
        });
      }
      for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
      if (options.output === 'json') {
        process.stdout.write(`${JSON.stringify({ env: environment, triggers: rows }, null, 2)}\n`);
      } else {
        const header = [
          'PIPELINE',
          'NAME',
          'ID',
          'TYPE',
          'INTERVAL',
          'STATUS',
          'NEXT RUN',
          ...(options.showTokens ? ['TOKEN'] : []),
        ];
        const table = [
          header,
          ...rows.map((row) => [
            row.pipeline,
            row.name,
            String(row.id),
            row.type,
            row.interval ?? '-',
            row.inEnv ? row.status : `${row.status} (not in env ${environment})`,
            row.nextRun ?? '-',
            ...(options.showTokens ? [row.token ?? '-'] : []),
          ]),
        ];
        const widths = header.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
        for (const line of table)
          process.stdout.write(
            `${line
              .map((cell, column) => cell.padEnd(widths[column]!))
              .join('  ')
              .trimEnd()}\n`,
          );
      }
      if (problems.some((problem) => problem.severity === 'error')) process.exitCode = 1;
    });
}
