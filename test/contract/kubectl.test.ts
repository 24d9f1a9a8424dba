/**
 * kubectl against the cluster, as a user drives it: create from a file, the tables of `get`, a
 * watch, logs, events, a 409 and delete. Runs where kubectl is on PATH (kubedispatch does not need
 * it), against the simulation in `npm test` and against a real API server in test:cluster. The
 * steps share one Job and run in order.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { jobManifest } from './support/jobs.ts';

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const KUBECTL = findOnPath('kubectl');
const JOB = 'kubectl-hello';
const LOG_LINE = 'hello from kubectl';

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

let cluster: ContractCluster;
let workDir: string;
let manifestPath: string;

/** The cluster's kubeconfig and a discovery cache of the test's own, so no earlier run's cache is read. */
const baseArgs = (): string[] => [`--kubeconfig=${cluster.kubeconfigPath}`, `--cache-dir=${join(workDir, 'cache')}`];

/** Runs kubectl to its end; a non-zero exit is a result, not an error. */
function kubectl(...args: string[]): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL!, [...baseArgs(), ...args], (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** `kubectl get … -w` until a line matches, then stops it; resolves with every line it printed. */
function watchUntil(args: string[], done: RegExp): Promise<string[]> {
  const child = spawn(KUBECTL!, [...baseArgs(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (done.test(line)) {
        child.kill('SIGTERM');
        resolve(lines);
      }
    });
    child.on('exit', (code) =>
      reject(
        new Error(
          `kubectl ${args.join(' ')} exited ${code} before a line matched ${done}:\n${lines.join('\n')}\n${stderr}`,
        ),
      ),
    );
  });
}

/** The cells of a kubectl table line (columns are separated by at least two spaces). */
const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);
const tableRows = (stdout: string): string[][] => stdout.trimEnd().split('\n').map(cells);

describe.skipIf(!KUBECTL)('kubectl', () => {
  beforeAll(async () => {
    cluster = await connectContractCluster('kubectl');
    workDir = mkdtempSync(join(tmpdir(), 'kubedispatch-kubectl-'));
    manifestPath = join(workDir, 'job.yaml');
    const job = jobManifest({
      name: JOB,
      backoffLimit: 0,
      annotations: { 'sim.kubedispatch.io/duration': '1s', 'sim.kubedispatch.io/logs': LOG_LINE },
    });
    writeFileSync(manifestPath, dump(job));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('creates a Job from a file', async () => {
    expect(await kubectl('create', '-n', cluster.namespace, '-f', manifestPath)).toEqual({
      code: 0,
      stdout: `job.batch/${JOB} created\n`,
      stderr: '',
    });
  });

  it('watches its pod run to Completed (get pods -w)', async () => {
    const lines = await watchUntil(
      ['get', 'pods', '-n', cluster.namespace, '-w'],
      new RegExp(`^${JOB}-\\S+\\s+0/1\\s+Completed\\s`),
    );
    expect(cells(lines[0])).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  });

  it('waits for the Job to complete and lists it across namespaces (get jobs -A)', async () => {
    expect(
      await kubectl('wait', '-n', cluster.namespace, '--for=condition=complete', `job/${JOB}`, '--timeout=60s'),
    ).toMatchObject({ code: 0, stdout: `job.batch/${JOB} condition met\n` });
    const { code, stdout } = await kubectl('get', 'jobs', '-A');
    expect(code).toBe(0);
    const rows = tableRows(stdout);
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(rows.find((row) => row[0] === cluster.namespace)?.slice(0, 4)).toEqual([
      cluster.namespace,
      JOB,
      'Complete',
      '1/1',
    ]);
  });

  it('adds the wide columns with -o wide', async () => {
    const jobs = tableRows((await kubectl('get', 'jobs', '-n', cluster.namespace, '-o', 'wide')).stdout);
    expect(jobs[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(jobs[1]?.slice(5)).toEqual([
      'main',
      'registry.example/kubedispatch/contract:1.0',
      expect.stringMatching(/^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/),
    ]);
    const pods = tableRows((await kubectl('get', 'pods', '-n', cluster.namespace, '-o', 'wide')).stdout);
    expect(pods[0]).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(pods[1]?.slice(7)).toEqual(['<none>', '<none>']);
  });

  it("prints the pod's log (logs job/NAME)", async () => {
    expect(await kubectl('logs', '-n', cluster.namespace, `job/${JOB}`)).toMatchObject({
      code: 0,
      stdout: `${LOG_LINE}\n`,
    });
  });

  it("lists the Job controller's events in the API server's event table", async () => {
    const { code, stdout } = await kubectl('get', 'events', '-n', cluster.namespace);
    expect(code).toBe(0);
    const rows = tableRows(stdout);
    expect(rows[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    const created = rows.find((row) => row[2] === 'SuccessfulCreate');
    expect(created?.slice(1, 4)).toEqual(['Normal', 'SuccessfulCreate', `job/${JOB}`]);
    expect(created?.[4]).toMatch(new RegExp(`^Created pod: ${JOB}-\\S+$`));
  });

  it('reports AlreadyExists from the server when the Job is created again', async () => {
    const again = await kubectl('create', '-n', cluster.namespace, '-f', manifestPath);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `Error from server (AlreadyExists): error when creating "${manifestPath}": jobs.batch "${JOB}" already exists`,
    );
  });

  it('deletes the Job, then finds none', async () => {
    expect(await kubectl('delete', '-n', cluster.namespace, 'job', JOB)).toMatchObject({
      code: 0,
      stdout: `job.batch "${JOB}" deleted\n`,
    });
    expect(await kubectl('get', 'jobs', '-n', cluster.namespace)).toEqual({
      code: 0,
      stdout: '',
      stderr: `No resources found in ${cluster.namespace} namespace.\n`,
    });
  });
});
