import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../../src/config/env.ts';

const ENTRY = fileURLToPath(new URL('../../../workers/dispatcher.ts', import.meta.url));

export interface ChildDispatcher {
  child: ChildProcess;
  /** What the process wrote on stderr (its logs), for failure messages. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** `node workers/dispatcher.ts` as a real process, configured through its environment only. */
export function spawnDispatcher(env: Env): ChildDispatcher {
  const child = spawn(process.execPath, [ENTRY], { env: { ...env, PATH: process.env['PATH'] }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
