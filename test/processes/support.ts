import { eventually } from '../support/eventually.ts';
import type { ChildWorker } from '../support/worker-process.ts';

/** A fresh Node process loading the Kubernetes client takes seconds on a busy machine. */
export const START_MS = 45_000;

export interface LogLine {
  level: number;
  name: string;
  msg: string;
  [field: string]: unknown;
}

/** The process's JSON log lines; a last line still being written is left out. */
export function logLines(worker: ChildWorker): LogLine[] {
  const lines = worker.output().split('\n');
  lines.pop();
  return lines.filter((line) => line.trim()).map((line) => JSON.parse(line) as LogLine);
}

/** How many of the process's log lines say `msg`. */
export function countLogged(worker: ChildWorker, msg: string): number {
  return logLines(worker).filter((line) => line.msg === msg).length;
}

/** Resolves once the process logged `msg` `times` times; a timeout shows the end of its output. */
export async function untilLogged(worker: ChildWorker, msg: string, times = 1, timeoutMs = START_MS): Promise<void> {
  await eventually(
    () => `${msg} (x${times}); output: ${worker.output().slice(-2000)}`,
    () => countLogged(worker, msg) >= times,
    timeoutMs,
    100,
  );
}
