import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '../../src/k8s/reuse-connections.ts';
import type { RequestStats } from '../../src/sim/request-stats.ts';

/** The simulated cluster running in bench/support/sim-server.ts, a process of its own. */
export interface SimProcess {
  url: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  usage(): Promise<{ cpuMs: number; heapUsedMB: number; rssMB: number; requests: RequestStats }>;
  stop(): Promise<void>;
}

/** Starts the simulated cluster in a child process, so a benchmark's load never shares its event loop. */
export async function startSimProcess(): Promise<SimProcess> {
  const child: ChildProcess = fork(new URL('./sim-server.ts', import.meta.url), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ url: string; kubeconfigPath: string }];
  // Pooled connections, as kubedispatch's own processes use them.
  const kubeConfig = reuseConnections(new KubeConfig());
  kubeConfig.loadFromFile(ready.kubeconfigPath);
  return {
    url: ready.url,
    kubeconfigPath: ready.kubeconfigPath,
    kubeConfig,
    async usage() {
      child.send('usage');
      const [answer] = (await once(child, 'message')) as [
        { cpu: NodeJS.CpuUsage; memory: NodeJS.MemoryUsage; requests: RequestStats },
      ];
      return {
        cpuMs: (answer.cpu.user + answer.cpu.system) / 1000,
        heapUsedMB: Math.round(answer.memory.heapUsed / 2 ** 20),
        rssMB: Math.round(answer.memory.rss / 2 ** 20),
        requests: answer.requests,
      };
    },
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}
