import type { BehaviourRule } from './behaviour-rules.ts';
import { createServer, type Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { createApiHandler } from './api-server.ts';
import { scaledClock, type Clock } from './clock.ts';
import { EventRecorder } from './event-recorder.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { JobController } from './job-controller.ts';
import { Kubelet } from './kubelet.ts';
import { listenWithKubeconfig, type EndpointOptions } from './loopback-endpoint.ts';
import { NamespaceController, newNamespace } from './namespaces.ts';
import { RequestCounter, type RequestStats } from './request-stats.ts';
import { NAMESPACES } from './resources.ts';
import { Store } from './store.ts';
import { TtlController } from './ttl-controller.ts';

export interface SimLogger {
  warn(object: object, message: string): void;
}

export interface SimClusterOptions extends EndpointOptions {
  logger?: SimLogger;
  /** Run time in ms of a pod that declares none (docs/design.md: 200ms). */
  defaultPodDuration?: number;
  /** Simulated time runs this many times faster than wall time. */
  timeScale?: number;
  /**
   * First delay before a failed pod is replaced, or a failed container restarted under OnFailure
   * (Kubernetes: 10 s for both); doubles per failure.
   */
  podFailureBackoffMs?: number;
  /** Changes retained per resource type for watches from an older resourceVersion. */
  watchHistorySize?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK (Kubernetes: about a minute). */
  bookmarkIntervalMs?: number;
  /** Namespaces that exist from the start (Kubernetes has default, kube-system, kube-public, kube-node-lease). */
  namespaces?: string[];
  /** How long Events are kept (Kubernetes: 1 h). */
  eventTtlMs?: number;
  nodeNames?: string[];
  /** Simulated behaviour for pods of matching Jobs, kept outside the Jobs themselves (src/sim/behaviour-rules.ts). */
  behaviourRules?: readonly BehaviourRule[];
}

export interface SimCluster {
  url: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  clock: Clock;
  stats(): RequestStats;
  resetStats(): void;
  stop(): Promise<void>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
// Versions below this are "too old" from the start, as on a cluster that has run for a while.
const INITIAL_RESOURCE_VERSION = 1000;

/** Starts the simulated cluster: API server, Job controller, garbage collector, TTL controller and kubelets. */
export async function startSimCluster(options: SimClusterOptions = {}): Promise<SimCluster> {
  const clock = scaledClock(options.timeScale ?? 1);
  const store = new Store({
    historySize: options.watchHistorySize ?? 50_000,
    initialResourceVersion: INITIAL_RESOURCE_VERSION,
  });
  const logger = options.logger;
  const onError = (error: Error, key?: string): void =>
    logger?.warn({ err: error, key }, 'simulated control plane error');
  for (const name of new Set([...SYSTEM_NAMESPACES, ...(options.namespaces ?? [])]))
    store.create(NAMESPACES, newNamespace(name, clock.now()));

  const recorder = new EventRecorder(store, clock, options.eventTtlMs ?? 3_600_000);
  const namespaces = new NamespaceController(store, clock, onError);
  const controllers = [
    namespaces,
    new GarbageCollector(store, clock, onError),
    new JobController(
      store,
      clock,
      recorder,
      {
        backoffBaseMs: options.podFailureBackoffMs ?? 10_000,
        backoffMaxMs: 360_000,
        behaviourRules: options.behaviourRules ?? [],
      },
      onError,
    ),
    new TtlController(store, clock, onError),
    new Kubelet(
      store,
      clock,
      recorder,
      {
        nodeNames: options.nodeNames ?? ['sim-node-1', 'sim-node-2', 'sim-node-3'],
        defaultPodDurationMs: options.defaultPodDuration ?? 200,
        startupMs: 5,
        crashLoopBackoffMs: options.podFailureBackoffMs ?? 10_000,
      },
      onError,
    ),
  ];
  const eventSweep = setInterval(() => recorder.expire(), 60_000);
  eventSweep.unref();

  const requests = new RequestCounter();
  const server: Server = createServer(
    { keepAliveTimeout: 60_000 },
    createApiHandler({
      store,
      clock,
      namespaces,
      requests,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      onError,
    }),
  );
  const endpoint = await listenWithKubeconfig(server, options, 'kubedispatch-sim');

  return {
    url: endpoint.url,
    kubeconfigPath: endpoint.kubeconfigPath,
    kubeConfig: endpoint.kubeConfig,
    clock,
    stats: () => requests.snapshot(),
    resetStats: () => requests.reset(),
    async stop() {
      clearInterval(eventSweep);
      for (const controller of controllers) controller.stop();
      await endpoint.close();
    },
  };
}
