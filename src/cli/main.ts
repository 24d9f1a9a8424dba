#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError, formatProblem } from '../errors/config-problem.ts';
import { processEnv } from '../config/env.ts';
import { envSecrets, SettingsError } from '../config/settings.ts';
import { scrubSecrets } from '../errors/redact.ts';
import { toError } from '../errors/to-error.ts';
import { commands } from './commands/index.ts';
import packageJson from '../../package.json' with { type: 'json' };

/** Exit codes: 0 success, 1 invalid input or failed work, 2 usage error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('kubedispatch')
    .description('Run the blocks of Mage-style data pipelines as Kubernetes Jobs, fed by a Redis queue')
    .version(packageJson.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (
        thrown.code === 'commander.helpDisplayed' ||
        thrown.code === 'commander.version' ||
        thrown.code === 'commander.help'
      )
        return 0;
      return EXIT_USAGE;
    }
    if (thrown instanceof ConfigError) {
      for (const problem of thrown.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      return EXIT_FAILURE;
    }
    if (thrown instanceof SettingsError) {
      process.stderr.write(`error: ${thrown.message}\n`);
      return EXIT_FAILURE;
    }
    const error = toError(thrown);
    // Our messages show URLs redacted; this also covers a library's that quotes REDIS_URL or the token.
    const secrets = envSecrets(processEnv());
    process.stderr.write(`error: ${scrubSecrets(error.message, secrets)}\n`);
    if (processEnv()['KUBEDISPATCH_DEBUG']) process.stderr.write(`${scrubSecrets(error.stack ?? '', secrets)}\n`);
    return EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv);
