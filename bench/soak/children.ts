/**
 * Every process the soak starts, in one registry, so that all of them are stopped on any way out
 * (normal end, an error, SIGINT, SIGTERM). Output goes to a log file per process, not through
 * the soak's own event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Child {
  name: string;
  pid: number;
  logPath: string;
  alive(): boolean;
  exited: Promise<void>;
  /** The log so far (for readiness lines and failure messages). */
  log(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

export class Children {
  readonly #dir: string;
  readonly #live = new Set<Child>();
  #started = 0;

  constructor(logDir: string) {
    this.#dir = logDir;
  }

  spawn(name: string, command: string, args: string[], env: Record<string, string | undefined>): Child {
    const logPath = join(this.#dir, `${String(++this.#started).padStart(4, '0')}-${name}.log`);
    const fd = openSync(logPath, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(command, args, { env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const exited = once(proc, 'exit').then(() => undefined);
    const child: Child = {
      name,
      pid: proc.pid as number,
      logPath,
      alive: () => proc.exitCode === null && proc.signalCode === null,
      exited,
      log: () => readFileSync(logPath, 'utf8'),
      async kill(signal) {
        if (child.alive()) proc.kill(signal);
        await exited;
      },
    };
    this.#live.add(child);
    void exited.then(() => this.#live.delete(child));
    return child;
  }

  /** SIGTERM to everything still running, SIGKILL to what has not exited after a grace. */
  async stopAll(): Promise<void> {
    const children = [...this.#live];
    for (const child of children) if (child.alive()) process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      for (const child of children) if (child.alive()) process.kill(child.pid, 'SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(children.map((child) => child.exited));
    clearTimeout(timer);
  }

  /** Last resort when the soak itself exits: no waiting possible. */
  killAllNow(): void {
    for (const child of this.#live) if (child.alive()) process.kill(child.pid, 'SIGKILL');
  }
}
