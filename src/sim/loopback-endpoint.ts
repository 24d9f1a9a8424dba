import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { writeKubeconfig } from './kubeconfig.ts';

export interface EndpointOptions {
  host?: string;
  port?: number;
  /** Where to write the kubeconfig; unset: a private temporary file removed on close. */
  kubeconfigOut?: string;
}

export interface LoopbackEndpoint {
  url: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** Stops listening, drops open connections (watches included) and removes a temporary kubeconfig. */
  close(): Promise<void>;
}

/** Puts an API-speaking server on a loopback port and writes the kubeconfig that reaches it. */
export async function listenWithKubeconfig(
  server: Server,
  options: EndpointOptions,
  contextName: string,
): Promise<LoopbackEndpoint> {
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${contextName} has no TCP address`);
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const temporaryDir = options.kubeconfigOut ? undefined : mkdtempSync(join(tmpdir(), `${contextName}-`));
  const kubeconfigPath = options.kubeconfigOut ?? join(temporaryDir as string, 'kubeconfig');
  const kubeConfig = writeKubeconfig(kubeconfigPath, url, contextName);
  return {
    url,
    kubeconfigPath,
    kubeConfig,
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
      if (temporaryDir) rmSync(temporaryDir, { recursive: true, force: true });
    },
  };
}
