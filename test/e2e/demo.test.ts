import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

/** Runs `kubedispatch demo` as a user would: a fresh process, its own Redis and simulated cluster. */
describe('kubedispatch demo', () => {
  it('runs the example pipeline end to end and exits 0 with the expected outcome', async () => {
    const env = { ...process.env };
    delete env['REDIS_URL'];
    const child = spawn(process.execPath, ['src/cli/main.ts', 'demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    expect(stdout).toContain('SIMULATED cluster');
    expect(stdout).toMatch(/block slow_report: failed .*DeadlineExceeded/);
    expect(stdout).toMatch(/block export_warehouse: succeeded/);
    expect(stdout).toMatch(/block clean_orders: succeeded \[.*1 failed pod retried by Kubernetes\]/);
    expect(stdout).toMatch(/run \d+ of pipeline demo_etl: failed/);
    expect(stdout).toContain('every block ended as the example is built to');
  }, 120_000);
});
