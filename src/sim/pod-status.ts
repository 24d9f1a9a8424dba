/** Pure builders of core/v1 PodStatus for each stage of a simulated pod's life. */

export interface Container {
  name: string;
  image?: string;
}

type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string; containerID: string } };

interface Condition {
  type: string;
  status: 'True' | 'False';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

function condition(type: string, ok: boolean, at: string, reason?: string, message?: string): Condition {
  const result: Condition = { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at };
  if (reason) result.reason = reason;
  if (message) result.message = message;
  return result;
}

let containerSequence = 0;

/** Unique, shaped like containerd's 64-hex-digit ids; nothing depends on them being random. */
export function containerId(): string {
  const unique = `${Date.now().toString(16)}${(containerSequence++).toString(16)}`;
  return `containerd://${unique.padStart(64, '0')}`;
}

/** In-place restarts of a pod's containers (restartPolicy OnFailure): how many, and how the last run ended. */
export interface Restarts {
  count: number;
  last?: Record<string, unknown>;
}

const NO_RESTARTS: Restarts = { count: 0 };

function containerStatus(
  container: Container,
  state: ContainerState,
  ready: boolean,
  id?: string,
  restarts = NO_RESTARTS,
): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: container.name,
    state,
    lastState: restarts.last ? { terminated: restarts.last } : {},
    ready,
    restartCount: restarts.count,
    image: container.image ?? '',
    imageID: 'waiting' in state ? '' : `${container.image ?? ''}@sha256:${'0'.repeat(64)}`,
    started: 'running' in state,
  };
  if (id) status['containerID'] = id;
  return status;
}

export function unschedulableStatus(at: string, message: string): Record<string, unknown> {
  return {
    phase: 'Pending',
    conditions: [condition('PodScheduled', false, at, 'Unschedulable', message)],
    qosClass: 'BestEffort',
  };
}

export interface NodePlacement {
  hostIP: string;
  podIP: string;
  startTime: string;
}

function initialConditions(
  at: string,
  placement: NodePlacement,
  started: boolean,
  ready: boolean,
  notReadyReason: string,
): Condition[] {
  const notReadyMessage =
    notReadyReason === 'ContainersNotReady' ? 'containers with unready status: [main]' : undefined;
  return [
    condition('PodReadyToStartContainers', started, placement.startTime),
    condition('Initialized', true, placement.startTime),
    condition('Ready', ready, at, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition('ContainersReady', ready, at, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition('PodScheduled', true, placement.startTime),
  ];
}

function placed(
  placement: NodePlacement,
  phase: string,
  conditions: Condition[],
  statuses: unknown[],
): Record<string, unknown> {
  return {
    phase,
    conditions,
    hostIP: placement.hostIP,
    hostIPs: [{ ip: placement.hostIP }],
    podIP: placement.podIP,
    podIPs: [{ ip: placement.podIP }],
    startTime: placement.startTime,
    containerStatuses: statuses,
    qosClass: 'BestEffort',
  };
}

export function waitingStatus(
  containers: Container[],
  at: string,
  placement: NodePlacement,
  reason: string,
  message?: string,
): Record<string, unknown> {
  const waiting = message ? { reason, message } : { reason };
  const statuses = containers.map((container) => containerStatus(container, { waiting }, false));
  return placed(
    placement,
    'Pending',
    initialConditions(at, placement, reason !== 'ContainerCreating', false, 'ContainersNotReady'),
    statuses,
  );
}

export function runningStatus(
  containers: Container[],
  at: string,
  placement: NodePlacement,
  ids: string[],
  restarts = NO_RESTARTS,
): Record<string, unknown> {
  const statuses = containers.map((container, index) =>
    containerStatus(container, { running: { startedAt: at } }, true, ids[index], restarts),
  );
  return placed(placement, 'Running', initialConditions(at, placement, true, true, ''), statuses);
}

/** A container that failed and waits to be started again; the pod stays Running. */
export function crashLoopStatus(
  containers: Container[],
  at: string,
  placement: NodePlacement,
  restarts: Restarts,
  message: string,
): Record<string, unknown> {
  const waiting = { reason: 'CrashLoopBackOff', message };
  const statuses = containers.map((container) => containerStatus(container, { waiting }, false, undefined, restarts));
  return placed(placement, 'Running', initialConditions(at, placement, true, false, 'ContainersNotReady'), statuses);
}

export interface Termination {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'OOMKilled';
  startedAt: string;
  finishedAt: string;
}

export function terminatedStatus(
  containers: Container[],
  placement: NodePlacement,
  ids: string[],
  end: Termination,
  restarts = NO_RESTARTS,
): Record<string, unknown> {
  const statuses = containers.map((container, index) =>
    containerStatus(
      container,
      { terminated: { ...end, containerID: ids[index] ?? containerId() } },
      false,
      ids[index],
      restarts,
    ),
  );
  const phase = end.exitCode === 0 ? 'Succeeded' : 'Failed';
  const reason = phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
  return placed(placement, phase, initialConditions(end.finishedAt, placement, false, false, reason), statuses);
}
