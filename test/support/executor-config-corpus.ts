/**
 * A seeded corpus of executor configs, valid and invalid values for every field kubedispatch renders,
 * and kubedispatch's verdict on each. The unit test checks the verdicts against the intended labels;
 * test/cluster/validation-corpus.test.ts sends the same corpus to the real API server as server-side
 * dry runs and compares verdicts. Configs are written in the API's camelCase, which executor configs
 * accept too, so one object is both the user's config and the patch applied to a rendered Job.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import type { ConfigProblem } from '../../src/errors/config-problem.ts';
import { loadProject } from '../../src/project/load-project.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { renderBlockJob } from '../../src/render/render-block-job.ts';
import { validateProject } from '../../src/render/validate-project.ts';

export type Section = 'job' | 'pod' | 'container' | 'metadata';
export type Config = Partial<Record<Section, Record<string, unknown>>>;

export interface CorpusCase {
  /** The field under test, as an API path (`job.backoffLimit`). */
  field: string;
  config: Config;
  /** What Kubernetes is expected to say; undefined where only the API server can tell (cluster test only). */
  intended?: 'valid' | 'invalid';
}

const valid = (field: string, config: Config): CorpusCase => ({ field, config, intended: 'valid' });
const invalid = (field: string, config: Config): CorpusCase => ({ field, config, intended: 'invalid' });
const unknown = (field: string, config: Config): CorpusCase => ({ field, config });

const job = (spec: Record<string, unknown>): Config => ({ job: spec });
const pod = (spec: Record<string, unknown>): Config => ({ pod: spec });
const container = (spec: Record<string, unknown>): Config => ({ container: spec });
const volumes = (volume: Record<string, unknown>, mount: Record<string, unknown> = {}): Config => ({
  pod: { volumes: [{ name: 'data', ...volume }] },
  container: { volumeMounts: [{ name: 'data', mountPath: '/data', ...mount }] },
});
const nodeTerm = (expression: Record<string, unknown>): Config =>
  pod({
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', ...expression }] }],
        },
      },
    },
  });

/** Hand-picked values at and around each rule's edges. */
export const FIXED_CASES: readonly CorpusCase[] = [
  valid('job.activeDeadlineSeconds', job({ activeDeadlineSeconds: 600 })),
  invalid('job.activeDeadlineSeconds', job({ activeDeadlineSeconds: -5 })),
  unknown('job.activeDeadlineSeconds', job({ activeDeadlineSeconds: 0 })),
  valid('job.backoffLimit', job({ backoffLimit: 0 })),
  invalid('job.backoffLimit', job({ backoffLimit: -1 })),
  invalid('job.backoffLimit', job({ backoffLimit: 2 ** 31 })),
  valid('job.parallelism', job({ parallelism: 0 })),
  invalid('job.parallelism', job({ parallelism: -1 })),
  valid('job.completions', job({ completions: 3 })),
  invalid('job.completions', job({ completions: -2 })),
  valid('job.ttlSecondsAfterFinished', job({ ttlSecondsAfterFinished: 0 })),
  invalid('job.ttlSecondsAfterFinished', job({ ttlSecondsAfterFinished: -1 })),
  valid('job.completionMode', job({ completionMode: 'Indexed', completions: 2 })),
  // Kubernetes sets completions and parallelism to 1 when both are unset, before it validates.
  valid('job.completionMode', job({ completionMode: 'Indexed' })),
  invalid('job.completionMode', job({ completionMode: 'Indexed', parallelism: 2 })),
  invalid('job.completionMode', job({ completionMode: 'Sometimes' })),
  valid('job.backoffLimitPerIndex', job({ completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1 })),
  invalid('job.backoffLimitPerIndex', job({ backoffLimitPerIndex: 1 })),
  invalid('job.maxFailedIndexes', job({ completionMode: 'Indexed', completions: 2, maxFailedIndexes: 1 })),
  valid('job.podReplacementPolicy', job({ podReplacementPolicy: 'TerminatingOrFailed' })),
  invalid('job.podReplacementPolicy', job({ podReplacementPolicy: 'Never' })),
  invalid('job.manualSelector', job({ manualSelector: true })),
  valid('pod.activeDeadlineSeconds', pod({ activeDeadlineSeconds: 1 })),
  invalid('pod.activeDeadlineSeconds', pod({ activeDeadlineSeconds: 0 })),
  invalid('pod.activeDeadlineSeconds', pod({ activeDeadlineSeconds: 2 ** 31 })),
  valid('pod.dnsPolicy', pod({ dnsPolicy: 'ClusterFirst' })),
  invalid('pod.dnsPolicy', pod({ dnsPolicy: 'Google' })),
  valid('pod.serviceAccountName', pod({ serviceAccountName: 'builder' })),
  invalid('pod.serviceAccountName', pod({ serviceAccountName: 'Bad_SA' })),
  invalid('pod.serviceAccountName', pod({ serviceAccountName: '-sa' })),
  valid('pod.hostname', pod({ hostname: 'worker-1' })),
  invalid('pod.hostname', pod({ hostname: 'Worker_1' })),
  valid('pod.nodeSelector', pod({ nodeSelector: { disk: 'ssd', 'topology.kubernetes.io/zone': 'a' } })),
  invalid('pod.nodeSelector', pod({ nodeSelector: { disk: 'a b' } })),
  invalid('pod.nodeSelector', pod({ nodeSelector: { 'bad key': 'x' } })),
  valid('pod.tolerations', pod({ tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }] })),
  valid('pod.tolerations', pod({ tolerations: [{ operator: 'Exists' }] })),
  valid('pod.tolerations', pod({ tolerations: [{ key: 'k', effect: 'NoExecute', tolerationSeconds: 5 }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ key: 'k', operator: 'Maybe' }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ value: 'v' }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ key: 'bad key' }] })),
  invalid('pod.tolerations', pod({ tolerations: [{ key: 'k', effect: 'Sometimes' }] })),
  valid('pod.securityContext.fsGroup', pod({ securityContext: { fsGroup: 2000, runAsUser: 1000 } })),
  invalid('pod.securityContext.fsGroup', pod({ securityContext: { fsGroup: -5 } })),
  invalid('container.securityContext.runAsUser', container({ securityContext: { runAsUser: -1 } })),
  valid('pod.affinity', nodeTerm({ operator: 'In', values: ['a'] })),
  valid('pod.affinity', nodeTerm({ operator: 'Exists' })),
  valid('pod.affinity', nodeTerm({ operator: 'Gt', values: ['1'] })),
  invalid('pod.affinity', nodeTerm({ operator: 'In', values: [] })),
  invalid('pod.affinity', nodeTerm({ operator: 'Exists', values: ['a'] })),
  // The API server counts the values of Gt/Lt; a value that is not a number fails at scheduling.
  valid('pod.affinity', nodeTerm({ operator: 'Gt', values: ['x'] })),
  invalid('pod.affinity', nodeTerm({ operator: 'Gt', values: ['1', '2'] })),
  invalid('pod.affinity', nodeTerm({ operator: 'Near', values: ['a'] })),
  invalid(
    'pod.affinity',
    pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
  ),
  valid(
    'pod.affinity',
    pod({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    }),
  ),
  invalid(
    'pod.affinity',
    pod({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    }),
  ),
  invalid(
    'pod.affinity',
    pod({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 101, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    }),
  ),
  valid(
    'pod.affinity',
    pod({
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'mage' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    }),
  ),
  invalid(
    'pod.affinity',
    pod({
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'mage' } } }],
        },
      },
    }),
  ),
  invalid(
    'pod.affinity',
    pod({
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, topologyKey: 'zone' },
          ],
        },
      },
    }),
  ),
  valid('pod.volumes', volumes({ emptyDir: {} })),
  valid(
    'pod.volumes',
    volumes({ emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }, { readOnly: true, subPath: 'sub/dir' }),
  ),
  // A volume without a source is defaulted to an emptyDir.
  valid('pod.volumes', { pod: { volumes: [{ name: 'data' }] } }),
  invalid('pod.volumes', { pod: { volumes: [{ name: 'data', emptyDir: {}, hostPath: { path: '/tmp' } }] } }),
  invalid('pod.volumes', { pod: { volumes: [{ name: 'Data', emptyDir: {} }] } }),
  // The medium is not validated by the API server.
  valid('pod.volumes', volumes({ emptyDir: { medium: 'Disk' } })),
  invalid('pod.volumes', volumes({ emptyDir: { sizeLimit: '-1Gi' } })),
  valid('pod.volumes', volumes({ hostPath: { path: '/var/data', type: 'DirectoryOrCreate' } })),
  invalid('pod.volumes', volumes({ hostPath: { path: '/var/data', type: 'Folder' } })),
  valid(
    'pod.volumes',
    volumes({ configMap: { name: 'settings', defaultMode: 0o644, items: [{ key: 'a', path: 'conf/a' }] } }),
  ),
  // Volume sources only require a name (env and envFrom references check it as a DNS subdomain).
  valid('pod.volumes', volumes({ configMap: { name: 'Bad_Name' } })),
  invalid('pod.volumes', volumes({ configMap: { name: '' } })),
  invalid('pod.volumes', volumes({ configMap: { name: 'settings', items: [{ key: 'a', path: '../a' }] } })),
  invalid('pod.volumes', volumes({ secret: { secretName: 'creds', defaultMode: 1000 } })),
  valid('pod.volumes', volumes({ persistentVolumeClaim: { claimName: 'pvc' } })),
  invalid('container.volumeMounts', volumes({ emptyDir: {} }, { subPath: '../up' })),
  invalid('container.volumeMounts', volumes({ emptyDir: {} }, { mountPath: '' })),
  invalid('container.volumeMounts', volumes({ emptyDir: {} }, { mountPropagation: 'Sideways' })),
  invalid('container.volumeMounts', { container: { volumeMounts: [{ name: 'missing', mountPath: '/m' }] } }),
  invalid('container.volumeMounts', {
    pod: {
      volumes: [
        { name: 'a', emptyDir: {} },
        { name: 'b', emptyDir: {} },
      ],
    },
    container: {
      volumeMounts: [
        { name: 'a', mountPath: '/m' },
        { name: 'b', mountPath: '/m' },
      ],
    },
  }),
  valid('container.env', container({ env: [{ name: 'GOOD_NAME', value: 'x' }] })),
  invalid('container.env', container({ env: [{ name: '1 bad=name', value: 'x' }] })),
  invalid('container.env', container({ env: [{ name: 'A=B', value: 'x' }] })),
  unknown('container.env', container({ env: [{ name: 'with space', value: 'x' }] })),
  valid('container.env', container({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })),
  valid('container.env', container({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })),
  invalid(
    'container.env',
    container({ env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }),
  ),
  invalid('container.env', container({ env: [{ name: 'A', valueFrom: {} }] })),
  invalid(
    'container.env',
    container({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'bad key' } } }] }),
  ),
  invalid(
    'container.env',
    container({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'Bad_CM', key: 'k' } } }] }),
  ),
  valid('container.envFrom', container({ envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm' } }] })),
  invalid('container.envFrom', container({ envFrom: [{ prefix: 'P_' }] })),
  invalid('container.envFrom', container({ envFrom: [{ configMapRef: { name: 'cm' }, secretRef: { name: 's' } }] })),
  valid('container.imagePullPolicy', container({ imagePullPolicy: 'IfNotPresent' })),
  invalid('container.imagePullPolicy', container({ imagePullPolicy: 'Sometimes' })),
  valid('container.terminationMessagePolicy', container({ terminationMessagePolicy: 'FallbackToLogsOnError' })),
  invalid('container.terminationMessagePolicy', container({ terminationMessagePolicy: 'Log' })),
  valid('container.ports', container({ ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }] })),
  invalid('container.ports', container({ ports: [{ containerPort: 0 }] })),
  invalid('container.ports', container({ ports: [{ containerPort: 70000 }] })),
  invalid('container.ports', container({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })),
  invalid('container.ports', container({ ports: [{ containerPort: 80, name: 'much-too-long-port' }] })),
  invalid('container.ports', container({ ports: [{ containerPort: 80, hostPort: 70000 }] })),
  valid(
    'container.resources',
    container({ resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '250m', memory: '512Mi' } } }),
  ),
  invalid('container.resources', container({ resources: { limits: { memory: '-1Gi' } } })),
  invalid('container.resources', container({ resources: { limits: { cpu: 'lots' } } })),
  invalid('container.resources', container({ resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } })),
  unknown('container.resources', container({ resources: { limits: { cpu: '1e400' } } })),
  valid(
    'container.resources',
    container({ resources: { limits: { 'example.com/gpu': '1' }, requests: { 'example.com/gpu': '1' } } }),
  ),
  invalid('container.resources', container({ resources: { requests: { 'example.com/gpu': '1' } } })),
  invalid(
    'container.resources',
    container({ resources: { limits: { 'example.com/gpu': '500m' }, requests: { 'example.com/gpu': '500m' } } }),
  ),
  invalid('container.resources', container({ resources: { limits: { gpu: '1' } } })),
  valid('container.resources', container({ resources: { limits: { 'ephemeral-storage': '1Gi' } } })),
  valid('metadata.labels', { metadata: { labels: { team: 'data', 'example.com/tier': 'gold' } } }),
  invalid('metadata.labels', { metadata: { labels: { team: 'a b' } } }),
  invalid('metadata.labels', { metadata: { labels: { team: 'x'.repeat(64) } } }),
  invalid('metadata.labels', { metadata: { labels: { 'Example.com/team': 'x' } } }),
  valid('metadata.annotations', {
    metadata: { annotations: { note: 'any text: at all / with spaces', 'example.com/owner': 'a@b' } },
  }),
  invalid('metadata.annotations', { metadata: { annotations: { 'bad key': 'x' } } }),
  invalid('metadata.annotations', { metadata: { annotations: { big: 'x'.repeat(300 * 1024) } } }),
];

const INT_EDGES = [-(2 ** 33), -(2 ** 31) - 1, -(2 ** 31), -1, 0, 1, 100, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 33];
const anyInt = fc.oneof(fc.constantFrom(...INT_EDGES), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));
const nameChars = fc.constantFrom(...'abcXYZ019-_.= /:@'.split(''));
const anyName = fc.string({ unit: nameChars, minLength: 0, maxLength: 70 });

/** Random values for numeric and textual fields, with their rule known from the Kubernetes sources. */
const RANDOM_FIELDS: readonly {
  field: string;
  value: fc.Arbitrary<unknown>;
  config: (value: unknown) => Config;
  rule: (value: unknown) => boolean;
}[] = [
  {
    field: 'job.backoffLimit',
    value: anyInt,
    config: (v) => job({ backoffLimit: v }),
    rule: (v) => (v as number) >= 0 && (v as number) < 2 ** 31,
  },
  {
    field: 'job.parallelism',
    value: anyInt,
    config: (v) => job({ parallelism: v }),
    rule: (v) => (v as number) >= 0 && (v as number) < 2 ** 31,
  },
  {
    field: 'job.ttlSecondsAfterFinished',
    value: anyInt,
    config: (v) => job({ ttlSecondsAfterFinished: v }),
    rule: (v) => (v as number) >= 0 && (v as number) < 2 ** 31,
  },
  {
    field: 'pod.activeDeadlineSeconds',
    value: anyInt,
    config: (v) => pod({ activeDeadlineSeconds: v }),
    rule: (v) => (v as number) >= 1 && (v as number) < 2 ** 31,
  },
  {
    field: 'container.ports',
    value: anyInt,
    config: (v) => container({ ports: [{ containerPort: v }] }),
    rule: (v) => (v as number) >= 1 && (v as number) <= 65535,
  },
  {
    field: 'container.securityContext.runAsUser',
    value: anyInt,
    config: (v) => container({ securityContext: { runAsUser: v } }),
    rule: (v) => (v as number) >= 0 && (v as number) < 2 ** 31,
  },
  {
    field: 'metadata.labels',
    value: anyName,
    config: (v) => ({ metadata: { labels: { team: v } } }),
    rule: (v) => /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v as string) && (v as string).length <= 63,
  },
  {
    field: 'container.env',
    value: anyName,
    config: (v) => container({ env: [{ name: v, value: 'x' }] }),
    rule: (v) => (v as string) !== '' && !(v as string).includes('='),
  },
  {
    field: 'pod.serviceAccountName',
    value: anyName,
    config: (v) => pod({ serviceAccountName: v }),
    rule: (v) =>
      v === '' ||
      ((v as string).length <= 253 &&
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v as string)),
  },
];

/** The corpus: the fixed cases and `randomCount` random ones drawn with `seed` (reproducible). */
export function corpus(seed: number, randomCount: number): CorpusCase[] {
  const pick = fc.constantFrom(...RANDOM_FIELDS).chain((spec) =>
    spec.value.map(
      (value): CorpusCase => ({
        field: spec.field,
        config: spec.config(value),
        intended: spec.rule(value) ? 'valid' : 'invalid',
      }),
    ),
  );
  return [...FIXED_CASES, ...fc.sample(pick, { seed, numRuns: randomCount })];
}

/** The seed of this run: `KD_CORPUS_SEED` when set (to replay a run), else a fresh one. */
export function corpusSeed(value: string | undefined): number {
  return value && /^-?\d+$/.test(value) ? Number(value) : Math.floor(Math.random() * 2 ** 31);
}

export interface Verdict {
  accepted: boolean;
  problems: ConfigProblem[];
  /** The Job kubedispatch renders when it accepts. */
  job?: V1Job;
}

/** A one-block project whose project-level executor config is `config` (over a valid base). */
export function writeCorpusProject(config: Config, namespace: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kd-corpus-'));
  const k8s = { namespace, ...config, container: { image: 'busybox:1.36', ...config.container } };
  writeFileSync(join(dir, 'metadata.yaml'), dump({ k8s_executor_config: k8s }, { lineWidth: -1 }));
  mkdirSync(join(dir, 'pipelines', 'p'), { recursive: true });
  writeFileSync(
    join(dir, 'pipelines', 'p', 'metadata.yaml'),
    dump({ uuid: 'p', executor_type: 'k8s', blocks: [{ uuid: 'a' }] }),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const OPTIONS = { queuePrefix: 'kd' };

/** kubedispatch's verdict: what `validate` says, and the Job it renders when it says yes. */
export function kubedispatchVerdict(config: Config, namespace: string): Verdict {
  const project = writeCorpusProject(config, namespace);
  try {
    const problems = validateProject(project.dir, {}, OPTIONS).filter((problem) => problem.severity === 'error');
    if (problems.length > 0) return { accepted: false, problems };
    const rendered = renderBlockJob(loadRenderContext({}, OPTIONS), loadProject(project.dir), 'p', 'a', {
      pipelineRunId: 1,
      blockRunId: 1,
      attempt: 1,
      executionPartition: 'manual/x_1',
      runtimeVariables: {},
    });
    return { accepted: true, problems, job: rendered.job };
  } finally {
    project.remove();
  }
}

/** The Job the API server is asked about when kubedispatch refuses: a valid rendered Job with the case's values laid over it. */
export function jobWith(base: V1Job, config: Config): V1Job {
  const job = structuredClone(base);
  const spec = job.spec!;
  const podSpec = spec.template.spec!;
  Object.assign(spec, config.job);
  const { containers, ...podFields } = podSpec;
  Object.assign(podSpec, podFields, config.pod, { containers });
  podSpec.containers = [{ ...containers[0]!, ...config.container }];
  for (const meta of [job.metadata!, spec.template.metadata!]) {
    meta.labels = { ...meta.labels, ...(config.metadata?.['labels'] as Record<string, string> | undefined) };
    meta.annotations = {
      ...meta.annotations,
      ...(config.metadata?.['annotations'] as Record<string, string> | undefined),
    };
  }
  return job;
}
