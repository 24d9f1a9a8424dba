import { randomBytes } from 'node:crypto';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startSimCluster } from '../../../src/sim/sim-cluster.ts';

/**
 * The cluster a contract test file talks to: the one KUBEDISPATCH_CONTRACT_KUBECONFIG points at,
 * or else a fresh simulated cluster. Each file works in a namespace of its own, made through the API.
 */
export interface ContractCluster {
  kubeConfig: KubeConfig;
  /** The kubeconfig file, for tools that read one (kubectl). */
  kubeconfigPath: string;
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
  /** True against the simulation; contract assertions never depend on it, only time budgets do. */
  simulated: boolean;
  stop(): Promise<void>;
}

export async function connectContractCluster(fileTag: string): Promise<ContractCluster> {
  const kubeconfigPath = process.env['KUBEDISPATCH_CONTRACT_KUBECONFIG'];
  let kubeConfig: KubeConfig;
  let kubeconfigFile: string;
  let stopBackend = async (): Promise<void> => undefined;
  if (kubeconfigPath) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    kubeconfigFile = kubeconfigPath;
  } else {
    // A short failure backoff keeps retry tests quick; every other behaviour is Kubernetes' own.
    const sim = await startSimCluster({ podFailureBackoffMs: 50 });
    kubeConfig = sim.kubeConfig;
    kubeconfigFile = sim.kubeconfigPath;
    stopBackend = () => sim.stop();
  }
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const namespace = `kd-contract-${fileTag}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  return {
    kubeConfig,
    kubeconfigPath: kubeconfigFile,
    batch,
    core,
    namespace,
    simulated: !kubeconfigPath,
    async stop() {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await stopBackend();
    },
  };
}
