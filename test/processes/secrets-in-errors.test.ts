/**
 * Secrets never reach the output of a real process: the workers' fatal log line and the CLI's
 * error, for malformed REDIS_URLs (which used to print the password) and for a settings file with
 * a YAML syntax error (which used to print its authToken and redis.url lines).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { spawnWorker, type WorkerName } from '../support/worker-process.ts';

const SECRET = 'Qz9-hunter2-Jv7';
const root = join(import.meta.dirname, '../..');
const names: WorkerName[] = ['scheduler', 'dispatcher', 'watcher', 'dashboard'];

/** The CLI as a real process, without blocking the test's event loop (workers run beside it). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/main.ts', ...args],
      { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

function expectNoSecret(output: string, ...secrets: string[]): void {
  for (const secret of [SECRET, ...secrets]) expect(output).not.toContain(secret);
  expect(output).not.toMatch(/\n\s+at /);
}

/** The one fatal line of a worker's log, parsed. */
function fatalLine(output: string): { level: number; msg: string } {
  // ioredis prints a plain-text warning of its own when a password is given to a server without one.
  const lines = output
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
  const fatal = lines.filter((line) => line.level === 60);
  expect(fatal, output).toHaveLength(1);
  return fatal[0]!;
}

describe('secrets in the errors of real processes', () => {
  const testRedisUrl = new URL(inject('redisUrl'));
  // The dispatcher and the watcher load their kubeconfig before connecting to Redis; nothing contacts it.
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kd-secret-kube-')), 'config');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:1" } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n',
  );
  const malformed: [string, RegExp][] = [
    [`http://:${SECRET}@127.0.0.1:1`, /not a redis:\/\/ or rediss:\/\/ URL/],
    [`user:${SECRET}@127.0.0.1:1`, /cannot reach Redis at \*\*\*@127\.0\.0\.1:1/],
    [`redis://${SECRET}#x@127.0.0.1:1`, /an '@' is not where the credentials end/],
    [`redis://:${SECRET}@${testRedisUrl.host}/99`, /the server has no database 99/],
  ];

  // One case per worker; the other forms of URL are covered by test/redis/redaction.test.ts.
  it.each(malformed.map(([url, message], index) => [url, message, names[index % names.length]!] as const))(
    'REDIS_URL=%s: the worker logs one fatal line naming REDIS_URL without the password, and so does the CLI',
    async (url, message, name) => {
      const worker = spawnWorker(name, {
        REDIS_URL: url,
        KUBECONFIG: kubeconfig,
        KUBEDISPATCH_PROJECT_DIR: join(root, 'examples/project'),
      });
      const [status, code] = await Promise.all([cli(['status', '1'], { REDIS_URL: url }), worker.exited]);
      expect(code).toBe(1);
      expectNoSecret(worker.output());
      expect(fatalLine(worker.output()).msg).toMatch(/REDIS_URL \(redis\.url\)/);
      expect(fatalLine(worker.output()).msg).toMatch(message);
      expect(status.code).toBe(1);
      expectNoSecret(status.output);
      expect(status.output).toMatch(/^error: .*REDIS_URL \(redis\.url\)/m);
      expect(status.output).toMatch(message);
    },
    120_000,
  );

  it('a settings file with a YAML syntax error is named with key path and line, and none of its lines is shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-secret-settings-'));
    const file = join(dir, 'settings.yaml');
    writeFileSync(
      file,
      `http:\n  authToken: tok-${SECRET}\n  port: [8080\nredis:\n  url: redis://:pw-${SECRET}@redis:6379\n`,
    );
    const worker = spawnWorker('dashboard', { KUBEDISPATCH_CONFIG: file });
    const [validate, code] = await Promise.all([
      cli(['validate', '--project', join(root, 'examples/project'), '--config', file], {}),
      worker.exited,
    ]);
    expect(code).toBe(1);
    for (const output of [fatalLine(worker.output()).msg, validate.output]) {
      expectNoSecret(output, 'authToken: tok', 'url: redis');
      expect(output).toContain(`${file}: `);
      expect(output).toMatch(/line \d+, column \d+: invalid YAML/);
      expect(output).toMatch(/: (http|http\.port|redis|redis\.url): line/);
    }
    expect(validate.code).toBe(1);
  }, 120_000);

  it('a mistyped secret key is named with its line, without its value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-secret-settings-'));
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, `http:\n  port: 8080\n  authTokn: ${SECRET}\n`);
    const validate = await cli(['validate', '--project', join(root, 'examples/project'), '--config', file], {});
    expect(validate.code).toBe(1);
    expectNoSecret(validate.output);
    expect(validate.output).toContain(
      `error: ${file}: http.authTokn: not a known setting (check its spelling against config/kubedispatch.yaml) (line 3)`,
    );
  }, 60_000);
});
