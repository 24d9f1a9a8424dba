/**
 * The reading primitive and the defects it fixes, through the real entry points: the CLI (`validate`,
 * `render`) as a child process, the loaders in-process, and the HTTP API creating a run. A FIFO hung
 * the CLI and blocked the dashboard's event loop; a symlink to /dev/zero passed the size check and
 * exhausted memory; a symlink out of the project was followed and its content echoed; invalid UTF-8
 * was silently replaced.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/config-problem.ts';
import { startHttpServer, type RunningHttpServer } from '../../../src/http/server.ts';
import { readProject, readProjectAsync } from '../../../src/project/load-project.ts';
import { readInputFile, readInputFileSync } from '../../../src/input/read-input-file.ts';
import { validateProject } from '../../../src/render/validate-project.ts';
import type { RunServices } from '../../../src/runs/run-services.ts';
import { silentLogger, testCreator, testServices, writeProject } from '../../scheduler/support.ts';
import { testRedis, type TestRedis } from '../../support/redis.ts';

const SECRET = 'root-password-line-do-not-echo';
const CLI_TIMEOUT_MS = 20_000;
const outside = mkdtempSync(join(tmpdir(), 'kd-outside-'));
const secretFile = join(outside, 'secret.yaml');
writeFileSync(secretFile, `${SECRET}\n`);
afterAll(() => rmSync(outside, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; output: string; signal: NodeJS.Signals | null } {
  // The timeout is the hang guard: a FIFO once made these commands wait forever.
  const result = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
    env: {},
  });
  // validate reports on stdout, render on stderr: both are read as one output.
  return { code: result.status, output: `${result.stdout}${result.stderr}`, signal: result.signal };
}

function projectWith(replace: (dir: string) => void): { dir: string; remove(): void } {
  const project = writeProject({ etl: { blocks: [{ uuid: 'a' }] } });
  replace(project.dir);
  return project;
}

const pipelineFile = (dir: string) => join(dir, 'pipelines', 'etl', 'metadata.yaml');

describe('reading user files', () => {
  const made: { remove(): void }[] = [];
  afterAll(() => {
    for (const project of made) project.remove();
  });
  const project = (replace: (dir: string) => void) => {
    const written = projectWith(replace);
    made.push(written);
    return written.dir;
  };

  it('refuses a FIFO as a project file at once: validate and render exit 1 naming it, nothing hangs', () => {
    const dir = project((d) => {
      rmSync(pipelineFile(d));
      execFileSync('mkfifo', [pipelineFile(d)]);
    });
    for (const args of [
      ['validate', '--project', dir],
      ['render', '--project', dir, '--pipeline', 'etl', '--block', 'a'],
    ]) {
      const { code, output: stderr, signal } = cli(args);
      expect(signal).toBeNull();
      expect(code).toBe(1);
      expect(stderr).toContain(`error: ${pipelineFile(dir)}: is a FIFO (named pipe); expected a regular file`);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a FIFO without blocking the event loop (the dashboard keeps answering meanwhile)', async () => {
    const dir = project((d) => {
      rmSync(pipelineFile(d));
      execFileSync('mkfifo', [pipelineFile(d)]);
    });
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 1);
    try {
      const reading = await readProjectAsync(dir);
      expect(reading.problems.map((p) => p.message)).toContain('is a FIFO (named pipe); expected a regular file');
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(ticker);
    }
  });

  it('refuses a symlink to /dev/zero: in the project as leaving it, as a template as a device', async () => {
    const dir = project((d) => {
      rmSync(pipelineFile(d));
      symlinkSync('/dev/zero', pipelineFile(d));
    });
    const { code, output: stderr } = cli(['validate', '--project', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: ${pipelineFile(dir)}: is a symlink (or lies under one) that leads outside the project directory`,
    );
    const link = join(outside, 'template.yaml');
    symlinkSync('/dev/zero', link);
    expect(() => readInputFileSync(link, { maxBytes: 1024 })).toThrow(
      /template\.yaml: is a device; expected a regular file/,
    );
    await expect(readInputFile(link, { maxBytes: 1024 })).rejects.toThrow(/is a device/);
  });

  it('counts the size limit while reading, not from a stat taken before', async () => {
    const file = join(outside, 'big.yaml');
    writeFileSync(file, 'a'.repeat(2049));
    expect(() => readInputFileSync(file, { maxBytes: 2048 })).toThrow(
      'is larger than the 2048-byte limit for this file',
    );
    await expect(readInputFile(file, { maxBytes: 2048 })).rejects.toThrow('is larger than the 2048-byte limit');
    expect(readInputFileSync(file, { maxBytes: 2049 })).toHaveLength(2049);
  });

  it('refuses a symlink leaving the project and never echoes its content (CLI and loaders)', async () => {
    const dir = project((d) => {
      rmSync(pipelineFile(d));
      symlinkSync(secretFile, pipelineFile(d));
    });
    const { code, output: stderr } = cli(['validate', '--project', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: ${pipelineFile(dir)}: is a symlink (or lies under one) that leads outside the project directory; expected a file inside the project`,
    );
    expect(stderr).not.toContain(SECRET);
    const viaLoader = [...readProject(dir).problems, ...(await readProjectAsync(dir)).problems];
    expect(JSON.stringify(viaLoader)).not.toContain(SECRET);
    // A directory of the project that is a symlink out of it is refused the same way.
    const linkedDir = project((d) => {
      rmSync(join(d, 'pipelines', 'etl'), { recursive: true });
      mkdirSync(join(outside, 'etl'), { recursive: true });
      writeFileSync(join(outside, 'etl', 'metadata.yaml'), `${SECRET}\n`);
      symlinkSync(join(outside, 'etl'), join(d, 'pipelines', 'etl'));
    });
    expect(JSON.stringify(readProject(linkedDir).problems)).not.toContain(SECRET);
  });

  it('follows symlinks that stay inside the project (as ConfigMap mounts use)', () => {
    const dir = project((d) => {
      writeFileSync(join(d, 'real.yaml'), 'uuid: etl\nexecutor_type: k8s\nblocks:\n  - uuid: a\n');
      rmSync(pipelineFile(d));
      symlinkSync(join(d, 'real.yaml'), pipelineFile(d));
    });
    expect(readProject(dir).problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('refuses invalid UTF-8 naming the file and the line instead of replacing it', () => {
    const dir = project((d) => {
      writeFileSync(
        pipelineFile(d),
        Buffer.concat([Buffer.from('uuid: etl\nblocks:\n  - uuid: "a'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]),
      );
    });
    const { code, output: stderr } = cli(['validate', '--project', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: ${pipelineFile(dir)}: is not valid UTF-8 (first invalid bytes on line 3); expected a UTF-8 text file`,
    );
    expect(() => readInputFileSync(pipelineFile(dir), { maxBytes: 1024 })).toThrow(ConfigError);
  });

  it('refuses a directory where a file is expected', () => {
    expect(() => readInputFileSync(outside, { maxBytes: 1024 })).toThrow(/is a directory; expected a regular file/);
  });
});

describe('values the API server would refuse', () => {
  const examples: [string, string, RegExp][] = [
    ['job: {active_deadline_seconds: -5}', 'job.active_deadline_seconds', /expected a whole number ≥ 0/],
    ['job: {backoff_limit: -1}', 'job.backoff_limit', /expected a whole number from 0 to 2147483647/],
    [
      'container: {env: [{name: "1 bad=name", value: x}]}',
      'container.env[0].name',
      /expected an environment variable name/,
    ],
    ['resource_limits: {cpu: .inf}', 'resource_limits.cpu', /got a number that is not finite/],
    ['resource_limits: {cpu: .nan}', 'resource_limits.cpu', /got a number that is not finite/],
    ['job: {parallelism: .inf}', 'job.parallelism', /got a number that is not finite/],
  ];
  it.each(examples)('refuses %s', (config, keyPath, message) => {
    const { dir } = projectWith((d) =>
      writeFileSync(
        join(d, 'metadata.yaml'),
        `k8s_executor_config:\n  container: {image: busybox}\n  ${config.replace(/^container: \{/, 'container_config: {')}\n`,
      ),
    );
    try {
      const problems = validateProject(dir, {}, { queuePrefix: 'kd' }).filter((p) => p.severity === 'error');
      expect(problems).toEqual([
        expect.objectContaining({
          keyPath: `k8s_executor_config.${keyPath.replace(/^container\./, 'container_config.')}`,
          message: expect.stringMatching(message),
        }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses retries: 1e12 in a block retry_config', () => {
    const { dir } = projectWith((d) =>
      writeFileSync(
        pipelineFile(d),
        'uuid: etl\nexecutor_type: k8s\nblocks:\n  - uuid: a\n    retry_config: {retries: 1e12}\n',
      ),
    );
    try {
      const { code, output: stderr } = cli(['validate', '--project', dir]);
      expect(code).toBe(1);
      expect(stderr).toContain(
        `error: ${pipelineFile(dir)}: blocks[0].retry_config.retries: expected a whole number from 0 to 1000, got the number 1000000000000 (line 5)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HTTP API over a project with a symlink out of it', () => {
  let t: TestRedis;
  let services: RunServices;
  let server: RunningHttpServer;
  const written = projectWith((d) => {
    rmSync(pipelineFile(d));
    symlinkSync(secretFile, pipelineFile(d));
  });
  afterAll(() => written.remove());
  beforeEach(async () => {
    t = testRedis();
    services = testServices(t);
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      authToken: 'tok-0123456789abcdef0123456789abcdef',
      uiWritable: false,
      services,
      creator: testCreator(services, written.dir),
      canceller: { store: services.store, blockQueue: services.blockQueue, deleteJob: async () => undefined },
      logger: silentLogger,
    });
  });
  afterEach(async () => {
    await server.close();
    await services.close();
    await t.cleanup();
  });

  it('answers 422 naming the file, without its content', async () => {
    const response = await fetch(`${server.url}/api/v1/pipelines/etl/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-0123456789abcdef0123456789abcdef', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(422);
    const body = await response.text();
    expect(body).toContain('leads outside the project directory');
    expect(body).not.toContain(SECRET);
  });
});
