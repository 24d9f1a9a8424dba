import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { portNumber } from '../option-parsers.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The shell's code for a command ended by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

interface DemoFlags {
  kubeconfig?: string;
  keep?: boolean;
  port: number;
}

/** `kubedispatch demo`: the whole system on the example pipeline, with nothing to set up. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the example pipeline end to end: a private Redis (unless REDIS_URL is set), the simulated cluster ' +
        '(unless --kubeconfig), scheduler + dispatcher + watcher; shows live progress and a summary; ' +
        'exits 0 when every block ends as the example is built to',
    )
    .option('--kubeconfig <file>', 'run against this cluster instead of the simulated one')
    .option('--keep', 'keep everything running after the run, with the dashboard, until Ctrl-C')
    .option('--port <n>', 'dashboard port with --keep', portNumber, 8080)
    .action(async (flags: DemoFlags) => {
      const { runDemo, DemoInterrupted } = await import('../../demo/run-demo.ts');
      // The first SIGINT/SIGTERM stops the demo cleanly (its Redis, simulated cluster and temporary
      // files included); a second one exits at once.
      const interruption = new AbortController();
      const exitNow = () => process.exit(EXIT_INTERRUPTED);
      const interrupt = () => {
        for (const signal of SIGNALS) process.off(signal, interrupt).once(signal, exitNow);
        interruption.abort();
      };
      for (const signal of SIGNALS) process.on(signal, interrupt);
      try {
        const ok = await runDemo({
          env: processEnv(),
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          keep: flags.keep ?? false,
          httpPort: flags.port,
          print: (line) => process.stdout.write(`${line}\n`),
          interrupted: interruption.signal,
        });
        if (!ok) process.exitCode = 1;
      } catch (error) {
        if (!(error instanceof DemoInterrupted)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = EXIT_INTERRUPTED;
      } finally {
        for (const signal of SIGNALS) process.off(signal, interrupt).off(signal, exitNow);
      }
    });
}
