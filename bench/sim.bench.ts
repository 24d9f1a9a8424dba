/**
 * Benchmark of the simulated cluster (not a test): how fast it accepts Job creates, and how quickly
 * watch events reach watchers while thousands of Jobs are active. Run with `npm run bench:sim`.
 * Prints one JSON object per scenario, then a table.
 */
import http from 'node:http';
import { BatchV1Api } from '@kubernetes/client-node';
import { percentile, printTable, round } from './support/figures.ts';
import { startSimProcess, type SimProcess } from './support/sim-process.ts';

const CONCURRENCY = 32;
const RAW_CREATES = 10_000;
const CLIENT_CREATES = 3_000;
const LATENCY_SAMPLES = 1_000;
const WATCHERS = 10;

interface ScenarioResult {
  scenario: string;
  [measure: string]: string | number;
}

const results: ScenarioResult[] = [];
function report(result: ScenarioResult): void {
  results.push(result);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function jobBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kubedispatch', 'kubedispatch.io/bench': 'true' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.kubedispatch.io/duration': '10m' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.example/bench:1' }] },
      },
    },
  });
}

function post(agent: http.Agent, url: URL, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function rawCreates(sim: SimProcess): Promise<void> {
  const url = new URL(sim.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let failures = 0;
  const cpuBefore = (await sim.usage()).cpuMs;
  const started = performance.now();
  await inParallel(RAW_CREATES, CONCURRENCY, async (index) => {
    const code = await post(agent, url, '/apis/batch/v1/namespaces/default/jobs', jobBody(`raw-${index}`));
    if (code !== 201) failures++;
  });
  const seconds = (performance.now() - started) / 1000;
  const serverCpuMs = (await sim.usage()).cpuMs - cpuBefore;
  agent.destroy();
  report({
    scenario: 'job creates, raw HTTP keep-alive',
    concurrency: CONCURRENCY,
    creates: RAW_CREATES,
    failures,
    seconds: round(seconds),
    perSecond: Math.round(RAW_CREATES / seconds),
    // Includes the controller and kubelet work each create sets off (pod, events, status updates).
    serverCpuMsPerCreate: round(serverCpuMs / RAW_CREATES),
    perServerCpuSecond: Math.round((RAW_CREATES * 1000) / serverCpuMs),
  });
}

async function clientCreates(sim: SimProcess): Promise<void> {
  const batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  const started = performance.now();
  await inParallel(CLIENT_CREATES, CONCURRENCY, async (index) => {
    await batch.createNamespacedJob({ namespace: 'default', body: JSON.parse(jobBody(`client-${index}`)) });
  });
  const seconds = (performance.now() - started) / 1000;
  report({
    scenario: 'job creates, @kubernetes/client-node',
    concurrency: CONCURRENCY,
    creates: CLIENT_CREATES,
    seconds: round(seconds),
    perSecond: Math.round(CLIENT_CREATES / seconds),
  });
}

/** Opens raw watches on Jobs from the current version; each calls `onAdded(name, receivedAt)`. */
async function openWatches(
  sim: SimProcess,
  count: number,
  onAdded: (name: string, at: number) => void,
): Promise<http.ClientRequest[]> {
  const list = (await (await fetch(`${sim.url}/apis/batch/v1/namespaces/default/jobs?limit=1`)).json()) as {
    metadata: { resourceVersion: string };
  };
  const url = new URL(sim.url);
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<http.ClientRequest>((resolve) => {
          const path = `/apis/batch/v1/namespaces/default/jobs?watch=true&labelSelector=kubedispatch.io/bench-latency&resourceVersion=${list.metadata.resourceVersion}`;
          const request = http.get({ hostname: url.hostname, port: url.port, path }, (response) => {
            let buffered = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              const at = performance.now();
              buffered += chunk;
              let newline = buffered.indexOf('\n');
              while (newline !== -1) {
                // Only the type and the first name (metadata.name) matter; parsing whole objects
                // in the measuring process would add its own pauses to the figures.
                const event = /^\{"type":"(\w+)".*?"name":"([^"]+)"/.exec(buffered.slice(0, newline));
                if (event?.[1] === 'ADDED') onAdded(event[2] as string, at);
                buffered = buffered.slice(newline + 1);
                newline = buffered.indexOf('\n');
              }
            });
            resolve(request);
          });
          request.on('error', () => undefined);
        }),
    ),
  );
}

async function watchLatency(sim: SimProcess, namePrefix: string): Promise<void> {
  const activeBefore = (await sim.usage()).requests.byVerbResource['create jobs'] ?? 0;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const pending = new Map<string, () => void>();
  let received = 0;
  const watches = await openWatches(sim, WATCHERS, (name, at) => {
    latencies.push(at - (sentAt.get(name) as number));
    if (++received % WATCHERS === 0) pending.get(name)?.();
  });
  const url = new URL(sim.url);
  const agent = new http.Agent({ keepAlive: true });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const name = `${namePrefix}-${i}`;
    const body = JSON.parse(jobBody(name));
    body.metadata.labels['kubedispatch.io/bench-latency'] = 'true';
    const allDelivered = new Promise<void>((resolve) => pending.set(name, resolve));
    sentAt.set(name, performance.now());
    await post(agent, url, '/apis/batch/v1/namespaces/default/jobs', JSON.stringify(body));
    await allDelivered;
  }
  for (const watch of watches) watch.destroy();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  report({
    scenario: 'watch delivery, create sent → ADDED received',
    // Every Job created runs a 10-minute pod, so all of them are still active.
    activeJobs: activeBefore,
    watchers: WATCHERS,
    samples: latencies.length,
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    maxms: round(latencies[latencies.length - 1] as number),
  });
}

const sim = await startSimProcess();
try {
  await watchLatency(sim, 'latency-idle');
  await rawCreates(sim);
  await clientCreates(sim);
  await watchLatency(sim, 'latency-busy');
  const usage = await sim.usage();
  report({
    scenario: 'server footprint',
    requests: usage.requests.total,
    heapUsedMB: usage.heapUsedMB,
    rssMB: usage.rssMB,
  });
} finally {
  await sim.stop();
}
console.log('');
printTable(results);
