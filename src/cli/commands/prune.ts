import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { duration } from '../option-parsers.ts';
import { settingsFileOption } from '../settings-option.ts';

/** `kubedispatch prune`: deletes finished runs older than a duration now, as the scheduler's retention does. */
export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description(
      'delete finished runs (succeeded, failed, cancelled) that finished longer ago than --older-than, with everything ' +
        'they own in Redis (blocks, project snapshot, outcomes, idempotency key, index entry); runs still waiting or running are kept',
    )
    .option(
      '--older-than <duration>',
      'age since the run finished: 30d, 12h, 15m, 90s, 0s (default: runs.retentionMs)',
      duration,
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .addOption(settingsFileOption())
    .action(async (options: { olderThan?: number; dryRun?: boolean; config?: string }) => {
      const { loadSettings } = await import('../../config/settings.ts');
      const { withRunContext } = await import('../../runs/run-context.ts');
      const { pruneFinishedRuns } = await import('../../runs/retention.ts');
      const env = processEnv();
      const settings = loadSettings(env, options.config);
      const olderThanMs = options.olderThan ?? settings.runs.retentionMs;
      if (options.olderThan === undefined && olderThanMs === 0)
        throw new Error('runs.retentionMs is 0 (keep forever): pass --older-than to say which runs to delete');
      await withRunContext(settings, env, {}, async (context) => {
        // Progress goes to stderr, at most about once a second; the result to stdout.
        let reported = 0;
        const done = await pruneFinishedRuns(context.services.store, {
          olderThanMs,
          now: Date.now(),
          dryRun: options.dryRun ?? false,
          progress(progress) {
            if (Date.now() - reported < 1000 || progress.total < 1000) return;
            reported = Date.now();
            process.stderr.write(
              `looked at ${progress.scanned} of ${progress.total} runs, ${options.dryRun ? 'would delete' : 'deleted'} ${progress.deleted}\n`,
            );
          },
        });
        const verb = options.dryRun ? 'would delete' : 'deleted';
        process.stdout.write(
          `${verb} ${done.deleted} finished run(s) older than ${olderThanMs} ms (looked at ${done.scanned})\n`,
        );
      });
    });
}
