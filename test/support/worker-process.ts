import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../src/config/env.ts';

export type WorkerName = 'scheduler' | 'dispatcher' | 'watcher' | 'dashboard';

export interface ChildWorker {
  child: ChildProcess;
  /** What the process wrote on stderr (its logs), for assertions and failure messages. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** `node workers/<name>.ts` as a real process, configured through its environment only. */
export function spawnWorker(name: WorkerName, env: Env): ChildWorker {
  const entry = fileURLToPath(new URL(`../../workers/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, [entry], {
    env: { ...env, PATH: process.env['PATH'] },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  // 'close' rather than 'exit': by then stderr is read to its end, so output() has every line.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    exited,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
