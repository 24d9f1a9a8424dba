import { formatTime, type Clock } from './clock.ts';
import { requestDeletion } from './deletion.ts';
import type { EventRecorder } from './event-recorder.ts';
import { controllerOf, type KubeObject } from './objects.ts';
import { podBehavior, type PodBehavior } from './pod-behavior.ts';
import {
  containerId,
  crashLoopStatus,
  runningStatus,
  terminatedStatus,
  unschedulableStatus,
  waitingStatus,
  type Container,
  type NodePlacement,
  type Restarts,
  type Termination,
} from './pod-status.ts';
import { PODS } from './resources.ts';
import type { Store, StoreEvent } from './store.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

export interface KubeletOptions {
  nodeNames: string[];
  defaultPodDurationMs: number;
  /** Time from binding to the containers starting (image present, sandbox created). */
  startupMs: number;
  /** First CrashLoopBackOff delay before a failed container is restarted in place (Kubernetes: 10 s). */
  crashLoopBackoffMs: number;
}

const SCHEDULER = { component: 'default-scheduler' };
const BACKOFF_AFTER_PULL_FAILURE_MS = 10;
const MAX_CRASH_LOOP_BACKOFF_MS = 300_000;
/** The exit code of a process ended by SIGTERM when its pod is deleted. */
const TERMINATED_BY_SIGNAL = 143;

interface RunningPod {
  placement: NodePlacement;
  containerIds: string[];
  /** The pod's position among its Job's pods, for failures-before-success. */
  ordinal: number;
  restarts: Restarts;
  startedAt?: string;
  cancel?: () => void;
}

function containersOf(pod: KubeObject): Container[] {
  return ((pod.spec as { containers?: Container[] }).containers ?? []) as Container[];
}

/** Bound, or found unschedulable: either way the scheduler has seen it. */
function isBound(pod: KubeObject): boolean {
  return (pod['status'] as { conditions?: unknown[] } | undefined)?.conditions !== undefined;
}

/**
 * The scheduler and the kubelets of a small fake node pool: binds each new pod to a node and moves
 * it through its life as its behaviour annotations declare.
 */
export class Kubelet {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #recorder: EventRecorder;
  readonly #options: KubeletOptions;
  readonly #queue: WorkQueue;
  readonly #pods = new Map<string, RunningPod>();
  readonly #unsubscribe: () => void;
  #nextNode = 0;
  #nextIp = 1;

  constructor(store: Store, clock: Clock, recorder: EventRecorder, options: KubeletOptions, onError: ErrorSink) {
    this.#store = store;
    this.#clock = clock;
    this.#recorder = recorder;
    this.#options = options;
    this.#queue = new WorkQueue((key) => this.#handle(key), onError);
    this.#unsubscribe = store.subscribe(PODS, (event) => this.#observe(event));
  }

  stop(): void {
    this.#unsubscribe();
    this.#queue.stop();
    for (const pod of this.#pods.values()) pod.cancel?.();
    this.#pods.clear();
  }

  #observe(event: StoreEvent): void {
    const meta = event.object.metadata;
    const key = `${meta.namespace}/${meta.name}`;
    if (event.type === 'ADDED') this.#queue.add(`bind|${key}`);
    else if (event.type === 'MODIFIED' && meta.deletionTimestamp && !event.previous?.metadata.deletionTimestamp)
      this.#queue.add(`kill|${key}`);
    else if (event.type === 'DELETED') {
      this.#pods.get(meta.uid)?.cancel?.();
      this.#pods.delete(meta.uid);
    }
  }

  #handle(task: string): void {
    const [action, key] = task.split('|') as [string, string];
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.#store.get(PODS, namespace, name);
    if (!pod) return;
    if (action === 'bind') this.#bind(pod);
    else this.#kill(pod);
  }

  #now(): string {
    return formatTime(this.#clock.now());
  }

  #ordinal(pod: KubeObject): number {
    const owner = controllerOf(pod);
    if (!owner) return 0;
    // Pods are bound in creation order, so the siblings already bound are the ones created earlier.
    return this.#store
      .dependents(owner.uid)
      .filter(({ type, object }) => type === PODS && object !== pod && isBound(object)).length;
  }

  #bind(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp || (pod.spec as { nodeName?: string }).nodeName) return;
    const ordinal = this.#ordinal(pod);
    const behavior = podBehavior(
      pod.metadata.annotations,
      ordinal,
      this.#options.defaultPodDurationMs,
      pod.metadata.name,
    );
    const nodes = this.#options.nodeNames;
    if (behavior.kind === 'unschedulable') {
      const message = `0/${nodes.length} nodes are available: ${nodes.length} node(s) didn't match Pod's node affinity/selector. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
      this.#setStatus(pod, unschedulableStatus(this.#now(), message));
      this.#recorder.record(pod, SCHEDULER, { type: 'Warning', reason: 'FailedScheduling', message });
      return;
    }
    const nodeName = nodes[this.#nextNode++ % nodes.length] as string;
    const placement: NodePlacement = {
      hostIP: `172.18.0.${2 + (this.#nextNode % nodes.length)}`,
      podIP: `10.244.${(this.#nextIp >> 8) & 255}.${this.#nextIp++ & 255}`,
      startTime: this.#now(),
    };
    const bound = this.#store.mutate(PODS, pod.metadata.namespace, pod.metadata.name, (draft) => {
      draft['spec'] = { ...(draft['spec'] as object), nodeName };
      draft['status'] = waitingStatus(containersOf(draft), placement.startTime, placement, 'ContainerCreating');
    });
    this.#recorder.record(bound, SCHEDULER, {
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
    });
    const state: RunningPod = {
      placement,
      containerIds: containersOf(pod).map(() => containerId()),
      ordinal,
      restarts: { count: 0 },
    };
    this.#pods.set(pod.metadata.uid, state);
    state.cancel = this.#clock.after(this.#options.startupMs, () =>
      this.#start(bound.metadata.uid, pod, behavior, nodeName),
    );
  }

  #current(uid: string, like: KubeObject): KubeObject | undefined {
    const pod = this.#store.get(PODS, like.metadata.namespace, like.metadata.name);
    return pod?.metadata.uid === uid && !pod.metadata.deletionTimestamp ? pod : undefined;
  }

  #start(uid: string, like: KubeObject, behavior: PodBehavior, nodeName: string): void {
    const pod = this.#current(uid, like);
    const state = this.#pods.get(uid);
    if (!pod || !state) return;
    const source = { component: 'kubelet', host: nodeName };
    const containers = containersOf(pod);
    const image = containers[0]?.image ?? '';
    if (behavior.kind === 'image-pull-backoff') {
      this.#recorder.record(pod, source, { type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` });
      const pullError = `failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`;
      this.#setStatus(pod, waitingStatus(containers, this.#now(), state.placement, 'ErrImagePull', pullError));
      this.#recorder.record(pod, source, {
        type: 'Warning',
        reason: 'Failed',
        message: `Failed to pull image "${image}": ${pullError}`,
      });
      this.#recorder.record(pod, source, { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' });
      state.cancel = this.#clock.after(BACKOFF_AFTER_PULL_FAILURE_MS, () => {
        const waiting = this.#current(uid, pod);
        if (!waiting) return;
        const message = `Back-off pulling image "${image}"`;
        this.#setStatus(waiting, waitingStatus(containers, this.#now(), state.placement, 'ImagePullBackOff', message));
        this.#recorder.record(waiting, source, { type: 'Normal', reason: 'BackOff', message });
        this.#recorder.record(waiting, source, {
          type: 'Warning',
          reason: 'Failed',
          message: 'Error: ImagePullBackOff',
        });
      });
      return;
    }
    this.#recorder.record(pod, source, {
      type: 'Normal',
      reason: 'Pulled',
      message: `Container image "${image}" already present on machine`,
    });
    if (behavior.kind === 'create-container-config-error') {
      const message = 'configmap "sim-missing-config" not found';
      this.#setStatus(
        pod,
        waitingStatus(containers, this.#now(), state.placement, 'CreateContainerConfigError', message),
      );
      this.#recorder.record(pod, source, { type: 'Warning', reason: 'Failed', message: `Error: ${message}` });
      return;
    }
    this.#run(uid, pod, behavior, source);
  }

  /** Starts the containers and ends them as `behavior` says, restarting them in place under OnFailure. */
  #run(uid: string, pod: KubeObject, behavior: PodBehavior, source: { component: string; host: string }): void {
    const state = this.#pods.get(uid) as RunningPod;
    const containers = containersOf(pod);
    for (const container of containers) {
      this.#recorder.record(pod, source, {
        type: 'Normal',
        reason: 'Created',
        message: `Created container: ${container.name}`,
      });
      this.#recorder.record(pod, source, {
        type: 'Normal',
        reason: 'Started',
        message: `Started container ${container.name}`,
      });
    }
    state.startedAt = this.#now();
    this.#setStatus(
      pod,
      runningStatus(containers, state.startedAt, state.placement, state.containerIds, state.restarts),
    );
    state.cancel = this.#clock.after(behavior.durationMs, () => {
      const running = this.#current(uid, pod);
      if (!running) return;
      const reason = behavior.kind === 'oom-killed' ? 'OOMKilled' : behavior.exitCode === 0 ? 'Completed' : 'Error';
      const end: Termination = {
        exitCode: behavior.exitCode,
        reason,
        startedAt: state.startedAt as string,
        finishedAt: this.#now(),
      };
      const restartPolicy = (running['spec'] as { restartPolicy?: string }).restartPolicy;
      if (end.exitCode !== 0 && restartPolicy === 'OnFailure') this.#crashLoop(uid, running, state, end, source);
      else this.#finish(running, state, end);
    });
  }

  /** The container failed: it waits in CrashLoopBackOff (10 s, doubling, at most 5 min), then runs again. */
  #crashLoop(
    uid: string,
    pod: KubeObject,
    state: RunningPod,
    end: Termination,
    source: { component: string; host: string },
  ): void {
    state.restarts = { count: state.restarts.count + 1, last: { ...end, containerID: state.containerIds[0] } };
    state.containerIds = state.containerIds.map(() => containerId());
    const delayMs = Math.min(
      this.#options.crashLoopBackoffMs * 2 ** (state.restarts.count - 1),
      MAX_CRASH_LOOP_BACKOFF_MS,
    );
    const { namespace, name } = pod.metadata;
    const container = containersOf(pod)[0]?.name ?? '';
    const message = `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${container} pod=${name}_${namespace}(${uid})`;
    this.#setStatus(pod, crashLoopStatus(containersOf(pod), this.#now(), state.placement, state.restarts, message));
    this.#recorder.record(pod, source, {
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container ${container} in pod ${name}_${namespace}(${uid})`,
    });
    state.cancel = this.#clock.after(delayMs, () => {
      const waiting = this.#current(uid, pod);
      if (!waiting) return;
      // Under OnFailure the pod's runs are the attempts that failures-before-success counts.
      const behavior = podBehavior(
        waiting.metadata.annotations,
        state.ordinal + state.restarts.count,
        this.#options.defaultPodDurationMs,
        name,
      );
      this.#run(uid, waiting, behavior, source);
    });
  }

  #finish(pod: KubeObject, state: RunningPod, end: Termination): void {
    this.#setStatus(pod, terminatedStatus(containersOf(pod), state.placement, state.containerIds, end, state.restarts));
    this.#pods.delete(pod.metadata.uid);
  }

  /** A deleted pod's containers get SIGTERM and stop; then the kubelet confirms the deletion. */
  #kill(pod: KubeObject): void {
    const state = this.#pods.get(pod.metadata.uid);
    state?.cancel?.();
    const nodeName = (pod.spec as { nodeName?: string }).nodeName;
    if (state && nodeName) {
      for (const container of containersOf(pod)) {
        this.#recorder.record(
          pod,
          { component: 'kubelet', host: nodeName },
          { type: 'Normal', reason: 'Killing', message: `Stopping container ${container.name}` },
        );
      }
      const startedAt = state.startedAt ?? this.#now();
      this.#finish(pod, state, { exitCode: TERMINATED_BY_SIGNAL, reason: 'Error', startedAt, finishedAt: this.#now() });
    }
    this.#pods.delete(pod.metadata.uid);
    if (this.#store.get(PODS, pod.metadata.namespace, pod.metadata.name)) {
      requestDeletion(this.#store, this.#clock, PODS, pod.metadata.namespace, pod.metadata.name, {
        gracePeriodSeconds: 0,
      });
    }
  }

  #setStatus(pod: KubeObject, status: Record<string, unknown>): void {
    this.#store.mutate(PODS, pod.metadata.namespace, pod.metadata.name, (draft) => {
      draft['status'] = status;
    });
  }
}
