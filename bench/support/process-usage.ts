import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a live process has used so far, read from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Peak resident set size of a live process so far (VmHWM), in MiB; NaN when it is not on this machine. */
export function peakRssMB(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return NaN;
  }
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

export interface RedisUsage {
  /** used_cpu_sys + used_cpu_user of the server, seconds. */
  cpuSeconds: number;
  /** Commands served so far, all kinds (the sum of `INFO commandstats` calls). */
  commands: number;
  pid: number;
}

function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** What the Redis server has spent so far: its own counters, so a delta is the load of a window. */
export async function redisUsage(redis: Redis): Promise<RedisUsage> {
  const [cpu, commandstats, server] = await Promise.all(
    ['cpu', 'commandstats', 'server'].map((section) => redis.info(section)),
  );
  const cpuFields = infoFields(cpu as string);
  let commands = 0;
  for (const [key, value] of infoFields(commandstats as string)) {
    if (key.startsWith('cmdstat_')) commands += Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
  }
  return {
    cpuSeconds: Number(cpuFields.get('used_cpu_sys')) + Number(cpuFields.get('used_cpu_user')),
    commands,
    pid: Number(infoFields(server as string).get('process_id')),
  };
}
