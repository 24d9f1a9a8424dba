import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

export type Role = 'dispatcher' | 'watcher';

export interface RoleProcess {
  pid: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMB(): number;
  stop(): Promise<void>;
}

/** Starts `workers/<role>.ts` as its own process, as in production, with the given settings env. */
export function startRole(role: Role, env: Record<string, string>): RoleProcess {
  // The watcher runs with the young-generation limit its deployments set (k8s/kubedispatch.yaml).
  const nodeFlags = role === 'watcher' ? ['--max-semi-space-size=2'] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, new URL(`../../workers/${role}.ts`, import.meta.url).pathname],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const pid = child.pid as number;
  return {
    pid,
    peakRssMB() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
      return Math.round(kb / 1024);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
