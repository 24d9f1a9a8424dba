import type { V1Container, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { isOwnEnvVar } from '../config/settings.ts';
import { mergeByName } from '../executor-config/merge.ts';
import { sameValue } from '../executor-config/same-value.ts';
import type { ContainerConfig, PodConfig } from '../executor-config/types.ts';

/** Kubernetes mounts each pod's own service-account token here; copying the server's would clash with the Job's. */
const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The dispatcher's own container: the one named by `MAGE_CONTAINER_NAME`, else the first (as Mage does). */
export function serverContainer(serverPod: V1Pod, containerName: string | undefined): V1Container | undefined {
  const containers = serverPod.spec?.containers ?? [];
  return containers.find((container) => container.name === containerName) ?? containers[0];
}

/**
 * Mage runs block pods with its server's image, env, envFrom and volume mounts; kubedispatch does
 * the same where the merged config leaves them unset. Configured entries win on a name clash;
 * node selector, tolerations and image pull secrets are taken only when not configured at all.
 * kubedispatch's own env vars are never inherited (see `isOwnEnvVar`); `envFrom` entries are
 * references whose keys are unknown here, so a secret holding them must not be the server's envFrom.
 */
export function applyServerPodDefaults(
  pod: PodConfig,
  container: ContainerConfig,
  serverPod: V1Pod,
  containerName: string | undefined,
): { pod: PodConfig; container: ContainerConfig } {
  const source = serverContainer(serverPod, containerName);
  const serverSpec = serverPod.spec;
  if (!source || !serverSpec) return { pod, container };
  const mounts = (source.volumeMounts ?? []).filter((mount) => !mount.mountPath.startsWith(SERVICE_ACCOUNT_TOKEN_PATH));
  const configuredMounts = new Set((container.volumeMounts ?? []).map((mount) => mount.name));
  const inheritedVolumes = volumesFor(
    mounts.filter((mount) => !configuredMounts.has(mount.name)),
    serverSpec.volumes ?? [],
  );

  const withDefaults: ContainerConfig = { ...container };
  const image = container.image ?? source.image;
  if (image !== undefined) withDefaults.image = image;
  // kubedispatch's own configuration (REDIS_URL, the auth token, KUBEDISPATCH_*) stays with it.
  const inheritedEnv = (source.env ?? []).filter((entry) => !isOwnEnvVar(entry.name));
  const env = mergeByName(container.env ?? [], inheritedEnv);
  if (env.length > 0) withDefaults.env = env as ContainerConfig['env'];
  const configuredEnvFrom = container.envFrom ?? [];
  const envFrom = [
    ...(source.envFrom ?? []).filter((entry) => !configuredEnvFrom.some((own) => sameValue(own, entry))),
    ...configuredEnvFrom,
  ];
  if (envFrom.length > 0) withDefaults.envFrom = envFrom;
  const volumeMounts = mergeByName(container.volumeMounts ?? [], mounts) as V1VolumeMount[];
  if (volumeMounts.length > 0) withDefaults.volumeMounts = volumeMounts;

  const podWithDefaults: PodConfig = { ...pod };
  const volumes = mergeByName(pod.volumes ?? [], inheritedVolumes) as V1Volume[];
  if (volumes.length > 0) podWithDefaults.volumes = volumes;
  const nodeSelector = pod.nodeSelector ?? serverSpec.nodeSelector;
  if (nodeSelector !== undefined) podWithDefaults.nodeSelector = nodeSelector;
  const tolerations = pod.tolerations ?? serverSpec.tolerations;
  if (tolerations !== undefined) podWithDefaults.tolerations = tolerations;
  const imagePullSecrets = pod.imagePullSecrets ?? serverSpec.imagePullSecrets;
  if (imagePullSecrets !== undefined) podWithDefaults.imagePullSecrets = imagePullSecrets;
  return { pod: podWithDefaults, container: withDefaults };
}

function volumesFor(mounts: readonly V1VolumeMount[], volumes: readonly V1Volume[]): V1Volume[] {
  const used = new Set(mounts.map((mount) => mount.name));
  return volumes.filter((volume) => used.has(volume.name));
}
