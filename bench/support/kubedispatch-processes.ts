import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { cpuSeconds, peakRssMB } from './process-usage.ts';
import { shippedNodeFlags } from './shipped-node-flags.ts';

export type Role = 'scheduler' | 'dispatcher' | 'watcher';

export interface RoleProcess {
  pid: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMB(): number;
  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number;
  /** Lines of its output (stdout and stderr) so far that contain `text`, one of the `countLines` it was started with. */
  linesContaining(text: string): number;
  stop(): Promise<void>;
}

export interface RoleOptions {
  /** Texts whose lines in the process's output are counted (the output is still passed through). */
  countLines?: readonly string[];
}

/** Passes `from` through to `to` line by line, counting the lines that contain each of `counts`' texts. */
function countThrough(from: Readable, to: Writable, counts: Map<string, number>): void {
  let partial = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    to.write(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() as string;
    for (const line of lines) {
      for (const [text, count] of counts) if (line.includes(text)) counts.set(text, count + 1);
    }
  });
}

/** Starts `workers/<role>.ts` as its own process, as in production, with the given settings env. */
export function startRole(role: Role, env: Record<string, string>, options: RoleOptions = {}): RoleProcess {
  // The heap limits of its Deployment: V8 otherwise sizes the heap from this machine's memory, not
  // from what is deployed.
  const nodeFlags = shippedNodeFlags(role);
  const counts = new Map((options.countLines ?? []).map((text) => [text, 0]));
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, new URL(`../../workers/${role}.ts`, import.meta.url).pathname],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', counts.size > 0 ? 'pipe' : 'inherit', counts.size > 0 ? 'pipe' : 'inherit'],
    },
  );
  if (counts.size > 0) {
    countThrough(child.stdout as Readable, process.stdout, counts);
    countThrough(child.stderr as Readable, process.stderr, counts);
  }
  const pid = child.pid as number;
  return {
    pid,
    peakRssMB: () => peakRssMB(pid),
    cpuSeconds: () => cpuSeconds(pid),
    linesContaining(text) {
      const count = counts.get(text);
      if (count === undefined) throw new Error(`lines containing ${JSON.stringify(text)} are not counted`);
      return count;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
