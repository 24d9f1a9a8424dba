import { createHash } from 'node:crypto';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import type { AgentOptions } from 'node:https';

interface Closable {
  close(): Promise<void>;
}

type DispatcherFactory = (cluster: Cluster | null, agentOptions: AgentOptions) => Closable | undefined;

/** Distinct TLS identities kept at once; an exec plugin that rotates client certificates adds one per rotation. */
const MAX_POOLS = 8;

/** A stable key for dispatcher options that hold Buffers (CA, client certificate and key). */
function fingerprint(options: unknown): string {
  const text = JSON.stringify(options, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return Buffer.isBuffer(raw) ? raw.toString('base64') : value;
  });
  return createHash('sha256').update(text).digest('hex');
}

/**
 * @kubernetes/client-node 2.x builds a new undici Agent, and so a new TCP (and TLS) connection,
 * for every request against a cluster with any TLS setting (every real cluster). This keeps one
 * Agent per distinct set of connection options, so requests share keep-alive connections: against
 * a real API server that saves a TLS handshake per call and a connection per created Job.
 * It replaces the client's (TypeScript-private) factory on this one instance, and fails at startup
 * if a client upgrade removed it, rather than silently losing the pooling.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const target = kubeConfig as unknown as { createDispatcher?: DispatcherFactory };
  const original = target.createDispatcher;
  if (typeof original !== 'function') {
    throw new Error(
      '@kubernetes/client-node no longer has KubeConfig.createDispatcher: update src/k8s/reuse-connections.ts for the installed client',
    );
  }
  const pools = new Map<string, Closable | undefined>();
  target.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(kubeConfig.createDispatcherOptions(cluster, agentOptions));
    if (pools.has(key)) return pools.get(key);
    const dispatcher = original.call(kubeConfig, cluster, agentOptions);
    pools.set(key, dispatcher);
    if (pools.size > MAX_POOLS) {
      const [oldestKey, oldest] = pools.entries().next().value!;
      pools.delete(oldestKey);
      // Closing lets requests in flight finish, then drops the idle connections.
      void oldest?.close().catch(() => undefined);
    }
    return dispatcher;
  };
  return kubeConfig;
}
