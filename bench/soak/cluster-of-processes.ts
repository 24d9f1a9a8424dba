/**
 * The soak's processes: a private redis-server with AOF, the simulated cluster and the chaos proxy
 * (`kubedispatch sim`, `kubedispatch chaos`), one scheduler serving the HTTP API
 * (`kubedispatch scheduler --http`), dispatchers and watchers (`node workers/*.ts`), each a real
 * process of its own. Two recording proxies run inside the soak: one in front of the chaos proxy
 * (what the workers were answered) and one behind it (what reached the cluster).
 */
import { fileURLToPath } from 'node:url';
import { freePort, redisAnswers } from '../../src/redis/local-redis-server.ts';
import type { Child, Children } from './children.ts';
import { shippedNodeFlags } from '../support/shipped-node-flags.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const worker = (name: string): string => fileURLToPath(new URL(`../../workers/${name}.ts`, import.meta.url));

export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (child && !child.alive())
      throw new Error(
        `${child.name} exited while waiting for ${what}; its log (${child.logPath}):\n${child.log().slice(-2000)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${child ? `; ${child.name}'s log: ${child.logPath}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Process start-up on a loaded 2-core machine (loading the Kubernetes client) can take many seconds. */
const START_TIMEOUT_MS = 90_000;

/**
 * Redis with the append-only file fsynced before every reply (`appendfsync always`): a SIGKILL of
 * Redis then loses no write it acknowledged, which is the persistence kubedispatch's guarantees
 * assume. `everysec` could lose up to a second of acknowledged writes in a crash, and the soak
 * would then measure that window rather than kubedispatch.
 */
export class AofRedis {
  readonly url: string;
  readonly #children: Children;
  readonly #args: string[];
  #child: Child | undefined;

  private constructor(children: Children, port: number, dir: string) {
    this.#children = children;
    this.url = `redis://127.0.0.1:${port}`;
    this.#args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ];
  }

  static async start(children: Children, dir: string): Promise<AofRedis> {
    const redis = new AofRedis(children, await freePort(), dir);
    await redis.#spawn();
    return redis;
  }

  async #spawn(): Promise<void> {
    const child = this.#children.spawn('redis-server', 'redis-server', this.#args, { PATH: process.env['PATH'] });
    this.#child = child;
    await waitUntil('redis-server to answer', () => redisAnswers(this.url, 200), 30_000, child);
  }

  /** SIGKILL (no shutdown save: only the AOF can bring the data back), down for `downMs`, then the same port and directory. */
  async crashAndRestart(downMs: number): Promise<void> {
    await this.#child?.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.#spawn();
  }
}

export interface Endpoint {
  child: Child;
  kubeconfigPath: string;
}

export async function startSim(children: Children, kubeconfigPath: string): Promise<Endpoint & { url: string }> {
  const port = await freePort();
  const child = children.spawn(
    'sim',
    process.execPath,
    [CLI, 'sim', '--port', String(port), '--kubeconfig-out', kubeconfigPath],
    { PATH: process.env['PATH'] },
  );
  await waitUntil(
    'the simulated cluster',
    () => child.log().includes('simulated cluster listening'),
    START_TIMEOUT_MS,
    child,
  );
  return { child, kubeconfigPath, url: `http://127.0.0.1:${port}` };
}

export async function startChaos(
  children: Children,
  targetKubeconfig: string,
  kubeconfigPath: string,
  seed: number,
  faults: string[],
): Promise<Endpoint & { url: string }> {
  const port = await freePort();
  const args = [
    CLI,
    'chaos',
    '--target-kubeconfig',
    targetKubeconfig,
    '--port',
    String(port),
    '--kubeconfig-out',
    kubeconfigPath,
    '--seed',
    String(seed),
  ];
  for (const fault of faults) args.push('--fault', fault);
  const child = children.spawn('chaos', process.execPath, args, { PATH: process.env['PATH'] });
  await waitUntil('the chaos proxy', () => child.log().includes('chaos proxy listening'), START_TIMEOUT_MS, child);
  return { child, kubeconfigPath, url: `http://127.0.0.1:${port}` };
}

export async function startScheduler(
  children: Children,
  env: Record<string, string>,
): Promise<{ child: Child; apiUrl: string }> {
  const port = await freePort();
  const child = children.spawn(
    'scheduler',
    process.execPath,
    [...shippedNodeFlags('scheduler'), CLI, 'scheduler', '--http', '--port', String(port)],
    env,
  );
  const apiUrl = `http://127.0.0.1:${port}`;
  const ready = async () => (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.ok === true;
  await waitUntil('the scheduler and its HTTP API', ready, START_TIMEOUT_MS, child);
  return { child, apiUrl };
}

export function spawnDispatcher(children: Children, slot: number, env: Record<string, string>): Child {
  return children.spawn(
    `dispatcher-${slot}`,
    process.execPath,
    [...shippedNodeFlags('dispatcher'), worker('dispatcher')],
    env,
  );
}

/** A watcher with a metrics listener of its own, where its lease gauge says whether it acts. */
export function spawnWatcher(
  children: Children,
  slot: number,
  env: Record<string, string>,
  metricsPort: number,
): Child {
  return children.spawn(`watcher-${slot}`, process.execPath, [...shippedNodeFlags('watcher'), worker('watcher')], {
    ...env,
    KUBEDISPATCH_METRICS_PORT: String(metricsPort),
  });
}

/** Whether the watcher behind `metricsPort` says it holds the lease; undefined when it does not answer. */
export async function holdsLease(metricsPort: number): Promise<boolean | undefined> {
  try {
    const answer = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!answer.ok) return undefined;
    const line = /^kubedispatch_watcher_lease_holder(?:\{[^}]*\})? (\S+)$/m.exec(await answer.text());
    return line ? Number(line[1]) === 1 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process behind `metricsPort` answers /readyz (a watcher: Redis answers and its watches have listed). */
export async function isReady(metricsPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}
