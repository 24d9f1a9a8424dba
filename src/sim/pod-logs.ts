import type { KubeObject } from './objects.ts';
import { podBehavior } from './pod-behavior.ts';
import { badRequest } from './status.ts';

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
}

/** A container's log as `kubectl logs` would show it; a container that never started has none (400, like the kubelet). */
export function podLog(pod: KubeObject, container: string | null, tailLines: number | undefined): string {
  const containers = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []).map((item) => item.name);
  const podName = pod.metadata.name;
  if (!container && containers.length > 1) {
    throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`);
  }
  const name = container ?? containers[0];
  if (!name || !containers.includes(name)) throw badRequest(`container ${name} is not valid for pod ${podName}`);
  const statuses = (pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? [];
  const state = statuses.find((item) => item.name === name)?.state;
  if (!state?.running && !state?.terminated) {
    const reason = state?.waiting?.reason ?? 'ContainerCreating';
    const why =
      reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
    throw badRequest(`container "${name}" in pod "${podName}" is waiting to start: ${why}`);
  }
  const lines = podBehavior(pod.metadata.annotations, 0, 0, podName).logLines;
  const shown = tailLines === undefined ? lines : tailLines <= 0 ? [] : lines.slice(-tailLines);
  return shown.map((text) => `${text}\n`).join('');
}
