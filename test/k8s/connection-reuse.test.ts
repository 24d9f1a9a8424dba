import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from '../../src/k8s/api-clients.ts';
import { createKubeConfig } from '../../src/k8s/kube-config.ts';
import { writeKubeconfig } from '../../src/sim/kubeconfig.ts';

// A bare HTTP server that counts the TCP connections the client opens.
let server: Server;
let connections = 0;
let kubeconfigPath: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'probe', namespace: 'default' } }),
    );
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'kubedispatch-reuse-')), 'kubeconfig');
  writeKubeconfig(kubeconfigPath, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'reuse');
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

async function connectionsFor(kubeConfig: KubeConfig, requests: number): Promise<number> {
  const { batch } = createKubeClients(kubeConfig, 5000);
  const before = connections;
  for (let index = 0; index < requests; index++) await batch.readNamespacedJob({ namespace: 'default', name: 'probe' });
  return connections - before;
}

describe('Kubernetes API connections', () => {
  it('are shared by the requests of a kubeconfig from createKubeConfig', async () => {
    // undici may open a second socket while the first is still being handed back to its pool.
    expect(await connectionsFor(createKubeConfig(kubeconfigPath, {}), 20)).toBeLessThanOrEqual(2);
  });

  // If this starts failing, the client pools connections itself and reuse-connections.ts can go.
  it('are opened per request by the bare client (why createKubeConfig pools them)', async () => {
    const bare = new KubeConfig();
    bare.loadFromFile(kubeconfigPath);
    expect(await connectionsFor(bare, 5)).toBe(5);
  });
});
