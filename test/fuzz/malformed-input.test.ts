/**
 * Property-based fuzzing of every input kubedispatch reads (fast-check, seeded): malformed project
 * files, settings files, job templates, policies and HTTP bodies, through the real entry points — the
 * loaders in-process for the bulk, the CLI `validate`/`render` as child processes for a sample, the
 * real HTTP API for bodies. The invariant: a clear refusal (problems naming the file, exit 1, or a
 * 4xx naming the key) or success; never a crash, a stack trace, a hang or a 5xx.
 *
 * The seed is printed in the test names; `KD_FUZZ_SEED=<seed>` replays a run exactly.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';
import type { ConfigProblem } from '../../src/errors/config-problem.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.ts';
import { readProject } from '../../src/project/load-project.ts';
import { readRenderContext } from '../../src/render/context.ts';
import { validateProject } from '../../src/render/validate-project.ts';
import type { RunServices } from '../../src/runs/run-services.ts';
import { readProjectTriggers } from '../../src/project/trigger-file.ts';
import { silentLogger, testCreator, testServices, writeProject } from '../scheduler/support.ts';
import { configFile, httpBody, projectFiles, ruleBreakingBody, settingsFile } from '../support/fuzz-inputs.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

const seed =
  process.env['KD_FUZZ_SEED'] && /^-?\d+$/.test(process.env['KD_FUZZ_SEED'])
    ? Number(process.env['KD_FUZZ_SEED'])
    : Math.floor(Math.random() * 2 ** 31);
const replay = `seed ${seed}; replay with KD_FUZZ_SEED=${seed}`;
/** A single case taking longer than this in-process is treated as a hang. */
const CASE_BUDGET_MS = 3_000;
/** Node starts slowly on a loaded machine (2-5 s per command); a hang is far beyond this. */
const CLI_TIMEOUT_MS = 45_000;
const HTTP_TIMEOUT_MS = 5_000;
const STACK_TRACE = /\n\s+at .+\(?.+:\d+:\d+\)?/;

// ---- invariants -------------------------------------------------------------------------------

/** Problems are the answer to bad input: each names a file and says something, none carries a stack trace. */
function expectClearProblems(problems: readonly ConfigProblem[]): void {
  for (const problem of problems) {
    expect(
      typeof problem.file === 'string' && problem.file.length > 0,
      `problem without a file: ${JSON.stringify(problem)}`,
    ).toBe(true);
    expect(typeof problem.keyPath).toBe('string');
    expect(problem.message.length).toBeGreaterThan(0);
    expect(problem.message).not.toMatch(STACK_TRACE);
  }
}

function timed<T>(run: () => T): T {
  const started = performance.now();
  const result = run();
  expect(performance.now() - started, 'one case took too long (a hang in the making)').toBeLessThan(CASE_BUDGET_MS);
  return result;
}

function writeFuzzProject(
  root: string,
  index: number,
  files: { metadata: Buffer; pipeline: Buffer; triggers?: Buffer | undefined },
): string {
  const dir = join(root, `p${index}`);
  mkdirSync(join(dir, 'pipelines', 'p'), { recursive: true });
  writeFileSync(join(dir, 'metadata.yaml'), files.metadata);
  writeFileSync(join(dir, 'pipelines', 'p', 'metadata.yaml'), files.pipeline);
  if (files.triggers) writeFileSync(join(dir, 'pipelines', 'p', 'triggers.yaml'), files.triggers);
  return dir;
}

function runCli(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { env: {}, timeout: CLI_TIMEOUT_MS });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

// ---- the runs -----------------------------------------------------------------------------------

const PROJECT_RUNS = 150;
const SETTINGS_RUNS = 60;
const CONFIG_FILE_RUNS = 60;
const HTTP_RUNS = 60;
const CLI_PROJECTS = 4;
const BODY_RULE_RUNS = 30;

describe(`fuzzing malformed input (${replay})`, () => {
  const root = mkdtempSync(join(tmpdir(), 'kd-fuzz-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;

  it(`loads ${PROJECT_RUNS} malformed projects: every problem names its file, nothing throws`, () => {
    fc.assert(
      fc.property(projectFiles, (files) => {
        const dir = writeFuzzProject(root, counter++, files);
        const problems = timed(() => [
          ...readProject(dir).problems,
          ...validateProject(dir, {}, { queuePrefix: 'kd' }),
          ...readProjectTriggers(dir).problems,
        ]);
        expectClearProblems(problems);
      }),
      { seed, numRuns: PROJECT_RUNS },
    );
  }, 60_000);

  it(`reads ${CONFIG_FILE_RUNS} malformed job templates and policies: problems name the file`, () => {
    fc.assert(
      fc.property(configFile, configFile, (template, policy) => {
        const dir = join(root, `c${counter++}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'template.yaml'), template);
        writeFileSync(join(dir, 'policy.yaml'), policy);
        const env = { K8S_CONFIG_FILE: join(dir, 'template.yaml'), K8S_DEFAULT_CONFIG_PATH: join(dir, 'policy.yaml') };
        expectClearProblems(timed(() => readRenderContext(env, { queuePrefix: 'kd' }).problems));
      }),
      { seed, numRuns: CONFIG_FILE_RUNS },
    );
  }, 60_000);

  it(`loads ${SETTINGS_RUNS} malformed settings files: a SettingsError naming the file, or settings`, () => {
    fc.assert(
      fc.property(settingsFile, (text) => {
        const file = join(root, `s${counter++}.yaml`);
        writeFileSync(file, text);
        try {
          timed(() => loadSettings({}, file));
        } catch (thrown) {
          expect(thrown, String(thrown)).toBeInstanceOf(SettingsError);
          expect((thrown as Error).message.startsWith(file)).toBe(true);
          expect((thrown as Error).message).not.toMatch(STACK_TRACE);
        }
      }),
      { seed, numRuns: SETTINGS_RUNS },
    );
  }, 60_000);

  it(`runs the CLI on ${CLI_PROJECTS} malformed projects: exit 0 or 1, no stack trace, no hang`, async () => {
    const samples = fc.sample(projectFiles, { seed, numRuns: CLI_PROJECTS });
    const dirs = samples.map((files) => writeFuzzProject(root, counter++, files));
    const args = dirs.map((dir, index) =>
      index % 2 === 0
        ? ['validate', '--project', dir]
        : ['render', '--project', dir, '--pipeline', 'p', '--block', 'a'],
    );
    // Two at a time: the machine running the tests has few cores.
    const runs = [];
    for (let index = 0; index < args.length; index += 2)
      runs.push(...(await Promise.all(args.slice(index, index + 2).map(runCli))));
    for (const run of runs) {
      expect(run.signal, 'the CLI hung and was killed').toBeNull();
      expect([0, 1], run.output).toContain(run.code);
      expect(run.output).not.toMatch(STACK_TRACE);
      if (run.code === 1) expect(run.output).toMatch(/error: \//);
    }
  }, 120_000);
});

describe(`fuzzing HTTP bodies (${replay})`, () => {
  let t: TestRedis;
  let services: RunServices;
  let server: RunningHttpServer;
  const project = writeProject({ etl: { blocks: [{ uuid: 'a' }] } });
  const token = 'fuzz-token-0123456789abcdef0123456789';

  beforeAll(async () => {
    t = testRedis();
    services = testServices(t);
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      authToken: token,
      uiWritable: false,
      services,
      creator: testCreator(services, project.dir),
      canceller: { store: services.store, blockQueue: services.blockQueue, deleteJob: async () => undefined },
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await server?.close();
    await services?.close();
    await t?.cleanup();
    project.remove();
  });

  it(`answers ${HTTP_RUNS} malformed bodies with a 2xx or a 4xx naming the problem, never a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(httpBody, fc.constantFrom('etl', 'missing', 'x'.repeat(300)), async (body, pipeline) => {
        const response = await fetch(`${server.url}/api/v1/pipelines/${pipeline}/runs`, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        });
        const text = await response.text();
        expect(response.status, text).toBeLessThan(500);
        expect(text).not.toMatch(STACK_TRACE);
        if (response.status >= 400) {
          const answer = JSON.parse(text) as { error?: string; problems?: unknown[]; message?: string };
          expect(answer.error, text).toEqual(expect.any(String));
          expect((answer.problems?.length ?? 0) > 0 || (answer.message?.length ?? 0) > 0, text).toBe(true);
        }
      }),
      { seed, numRuns: HTTP_RUNS },
    );
  }, 60_000);

  /** The body rules: unknown keys and lone surrogates are 400, a body that is not declared JSON is 415. */
  it(`refuses ${BODY_RULE_RUNS} bodies with unknown keys, lone surrogates or another content type (4xx)`, async () => {
    await fc.assert(
      fc.asyncProperty(ruleBreakingBody, async ({ body, contentType, expected }) => {
        const response = await post(body, contentType);
        expect(response.status, await response.text()).toBe(expected);
      }),
      { seed, numRuns: BODY_RULE_RUNS },
    );
  }, 60_000);

  function post(body: string, contentType: string): Promise<Response> {
    return fetch(`${server.url}/api/v1/pipelines/etl/runs`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    });
  }
});
