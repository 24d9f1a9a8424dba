/**
 * A worker entry point (workers/*.ts) with settings it cannot use: it stops before connecting to
 * anything, with one structured fatal line that names the setting, and exit code 1.
 */
import { describe, expect, it } from 'vitest';
import { spawnWorker, type WorkerName } from '../support/worker-process.ts';

const names: WorkerName[] = ['scheduler', 'dispatcher', 'watcher', 'dashboard'];

describe('a worker with invalid settings', () => {
  it.each(names)('%s exits 1 with one fatal line naming the setting and no stack trace', async (name) => {
    // Redis is never reached: the port is closed, and settings are read before any connection.
    const worker = spawnWorker(name, { REDIS_URL: 'redis://127.0.0.1:1', KUBEDISPATCH_METRICS_PORT: '70000' });
    expect(await worker.exited).toBe(1);
    const lines = worker.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 60,
      name,
      msg: expect.stringContaining('metrics.port: ports must be within range 0 - 65535') as unknown,
    });
    expect(worker.output()).not.toContain('    at ');
  });
});
