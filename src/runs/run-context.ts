import type { BatchV1Api } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { createKubeClients } from '../k8s/api-clients.ts';
import { deleteJob } from '../k8s/delete-job.ts';
import { createKubeConfig } from '../k8s/kube-config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { loadRenderContext } from '../render/context.ts';
import type { JobDeleter, RunCanceller } from './cancel-run.ts';
import type { RunCreator } from './create-run.ts';
import { openRunServices, type RunServices } from './run-services.ts';
import { mageEnv } from '../project/trigger-file.ts';

/** Everything that creates, shows and cancels runs, built once per process from the settings. */
export interface RunContext {
  services: RunServices;
  creator: RunCreator;
  canceller: RunCanceller;
  /** Mage's `get_env()` of this process (from `ENV`): which triggers exist here. */
  mageEnv: string;
  close(): Promise<void>;
}

export interface RunContextOptions {
  /** Overrides `project.dir`. */
  projectDir?: string;
  /** Overrides `kube.kubeconfig`. */
  kubeconfig?: string;
  /** Where Redis outages are reported; a CLI command's work fails with its own error instead. */
  logger?: Logger;
}

/**
 * Kubernetes is reached only when a cancelled run has Jobs to delete, so creating runs, showing
 * them and serving the dashboard work where no cluster is configured.
 */
function lazyJobDeleter(settings: Settings, env: Env, kubeconfig: string | undefined): JobDeleter {
  let batch: BatchV1Api | undefined;
  return (namespace, name) => {
    batch ??= createKubeClients(
      createKubeConfig(kubeconfig || settings.kube.kubeconfig || undefined, env),
      settings.kube.requestTimeoutMs,
    ).batch;
    return deleteJob(batch, namespace, name);
  };
}

export async function openRunContext(
  settings: Settings,
  env: Env,
  options: RunContextOptions = {},
): Promise<RunContext> {
  const render = loadRenderContext(env, {
    queuePrefix: settings.queue.prefix,
    watchedNamespaces: settings.kube.namespaces,
  });
  const services = await openRunServices(settings, options.logger ?? createLogger('silent', 'run-context'));
  const projectDir = options.projectDir ?? settings.project.dir;
  return {
    services,
    creator: { store: services.store, blockQueue: services.blockQueue, plan: { projectDir, render } },
    canceller: {
      store: services.store,
      blockQueue: services.blockQueue,
      deleteJob: lazyJobDeleter(settings, env, options.kubeconfig),
    },
    mageEnv: mageEnv(env['ENV']),
    close: () => services.close(),
  };
}

/** Opens a run context for one piece of work (a CLI command) and always closes it. */
export async function withRunContext<T>(
  settings: Settings,
  env: Env,
  options: RunContextOptions,
  work: (context: RunContext) => Promise<T>,
): Promise<T> {
  const context = await openRunContext(settings, env, options);
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}
