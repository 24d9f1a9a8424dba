import { childPath } from '../input/input-shape.ts';
import type { PlainObject } from '../input/input-shape.ts';
import { isDnsSubdomain, isLabelValue, isQualifiedName } from './k8s-names.ts';
import { keyMatchForm } from './key-case.ts';
import { parseQuantity } from './quantity.ts';
import { normaliseString, reportType } from './shape.ts';
import type { CustomType, ObjectCheck, Where } from './shape.ts';

/**
 * The API server's own rules for the fields kubedispatch renders into a Job (pkg/apis/batch/validation,
 * pkg/apis/core/validation and apimachinery's name rules of Kubernetes 1.34), applied where each value
 * is written so a problem names the user's file, key path and line, before any Job exists. Shapes
 * (types, known keys) come from schema.ts; this module adds ranges, formats, enums and the rules that
 * tie fields of one object together. test/cluster/validation-corpus.test.ts compares these verdicts
 * with the real API server's, field by field.
 */

const INT32_MAX = 2 ** 31 - 1;

function wholeNumber(min: number, max: number, expected: string): CustomType {
  return (value, path, where) => {
    if (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max) return value;
    return reportType(value, expected, path, where);
  };
}

export function text(check: (value: string) => boolean, expected: string): CustomType {
  return (value, path, where) => {
    const written = normaliseString(value, path, where);
    if (written === undefined) return undefined;
    if (check(written)) return written;
    where.problems.error(where.file, path, `invalid value: expected ${expected}`);
    return undefined;
  };
}

export function oneOf(allowed: readonly string[], emptyAllowed = false): CustomType {
  return text((value) => allowed.includes(value) || (emptyAllowed && value === ''), `one of ${allowed.join(', ')}`);
}

/** Environment variable names since Kubernetes 1.34 (RelaxedEnvironmentVariableValidation): printable ASCII except "=". */
export function isEnvVarName(name: string): boolean {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name);
}

/** Keys of config maps and secrets (and so of their references). */
export function isConfigMapKey(key: string): boolean {
  return key.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(key) && key !== '.' && key !== '..' && !key.startsWith('..');
}

/** IANA service names, the form of a named port: at most 15 lower-case letters, digits and single dashes, with a letter. */
export function isPortName(name: string): boolean {
  return (
    name.length <= 15 &&
    /^[-a-z0-9]+$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.startsWith('-') &&
    !name.endsWith('-') &&
    !name.includes('--')
  );
}

/** A relative path that does not climb out with "..", as volume sub-paths and projected item paths must be. */
export function isDescendingPath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
}

const nonEmpty = text((value) => value !== '', 'a non-empty string');
const dnsSubdomain = text(
  isDnsSubdomain,
  'a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)',
);
const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

/** Container resources: cpu, memory, ephemeral-storage, hugepages-<size>, or an extended resource with a domain prefix. */
export function isContainerResourceName(name: string): boolean {
  if (STANDARD_CONTAINER_RESOURCES.includes(name)) return true;
  if (name.startsWith('hugepages-')) return parseQuantity(name.slice('hugepages-'.length)) !== undefined;
  const slash = name.indexOf('/');
  if (slash < 0 || !isQualifiedName(name)) return false;
  const domain = name.slice(0, slash);
  return (
    domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io') && !name.slice(slash + 1).startsWith('requests.')
  );
}

export const apiCustomTypes: Record<string, CustomType> = {
  NonNegativeInt32: wholeNumber(0, INT32_MAX, `a whole number from 0 to ${INT32_MAX}`),
  NonNegativeInt64: wholeNumber(0, Number.MAX_SAFE_INTEGER, 'a whole number ≥ 0'),
  PodDeadline: wholeNumber(1, INT32_MAX, `a whole number of seconds from 1 to ${INT32_MAX}`),
  Weight: wholeNumber(1, 100, 'a weight from 1 to 100'),
  Port: wholeNumber(1, 65535, 'a port number from 1 to 65535'),
  HostPort: wholeNumber(0, 65535, 'a port number from 0 (none) to 65535'),
  FileMode: wholeNumber(0, 0o777, 'a file mode from 0 to 0777 (511)'),
  UnixId: wholeNumber(0, INT32_MAX, `a user or group id from 0 to ${INT32_MAX}`),
  NonEmpty: nonEmpty,
  DnsSubdomainName: dnsSubdomain,
  // Empty means the namespace's default service account, as the API server reads it.
  ServiceAccountName: text(
    (value) => value === '' || isDnsSubdomain(value),
    'a service account name: a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)',
  ),
  // An empty name is reported by the env list itself (items merge by name).
  EnvVarName: text(
    (value) => value === '' || isEnvVarName(value),
    'an environment variable name (printable ASCII characters other than "=")',
  ),
  EnvPrefix: text(
    (value) => value === '' || isEnvVarName(value),
    'an environment variable name prefix (printable ASCII characters other than "=")',
  ),
  ConfigMapKey: text(isConfigMapKey, 'a key of letters, digits, "-", "_" and "." (at most 253 characters)'),
  PortName: text(isPortName, 'a port name (at most 15 lower-case letters, digits and "-", with at least one letter)'),
  DescendingPath: text(
    (value) => value === '' || isDescendingPath(value),
    'a relative path without ".." (e.g. data/config)',
  ),
  ItemPath: text(isDescendingPath, 'a relative path without ".." (e.g. data/config)'),
  QualifiedKey: text((value) => value === '' || isQualifiedName(value), 'a key like "app" or "example.com/app"'),
  RequiredQualifiedKey: text(isQualifiedName, 'a key like "app" or "example.com/app"'),
  OptionalLabelValue: text(
    isLabelValue,
    'a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
  ),
  Protocol: oneOf(['TCP', 'UDP', 'SCTP']),
  DnsPolicy: oneOf(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']),
  PreemptionPolicy: oneOf(['PreemptLowerPriority', 'Never']),
  TerminationMessagePolicy: oneOf(['File', 'FallbackToLogsOnError']),
  TolerationOperator: oneOf(['Equal', 'Exists'], true),
  TaintEffect: oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], true),
  MountPropagation: oneOf(['None', 'HostToContainer', 'Bidirectional']),
  RecursiveReadOnly: oneOf(['Disabled', 'IfPossible', 'Enabled']),
  CompletionMode: oneOf(['NonIndexed', 'Indexed']),
  PodReplacementPolicy: oneOf(['TerminatingOrFailed', 'Failed']),
  HostPathType: oneOf(
    ['DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'],
    true,
  ),
  NodeSelectorOperator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  LabelSelectorOperator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist']),
};

export const apiAttributeOverrides: Record<string, string> = {
  'V1JobSpec.activeDeadlineSeconds': 'NonNegativeInt64',
  'V1JobSpec.backoffLimit': 'NonNegativeInt32',
  'V1JobSpec.backoffLimitPerIndex': 'NonNegativeInt32',
  'V1JobSpec.completions': 'NonNegativeInt32',
  'V1JobSpec.maxFailedIndexes': 'NonNegativeInt32',
  'V1JobSpec.parallelism': 'NonNegativeInt32',
  'V1JobSpec.ttlSecondsAfterFinished': 'NonNegativeInt32',
  'V1JobSpec.completionMode': 'CompletionMode',
  'V1JobSpec.podReplacementPolicy': 'PodReplacementPolicy',
  'V1PodSpec.activeDeadlineSeconds': 'PodDeadline',
  'V1PodSpec.dnsPolicy': 'DnsPolicy',
  'V1PodSpec.preemptionPolicy': 'PreemptionPolicy',
  'V1PodSpec.priorityClassName': 'DnsSubdomainName',
  'V1PodSpec.schedulerName': 'DnsSubdomainName',
  'V1PodSpec.nodeName': 'DnsSubdomainName',
  'V1PodSpec.runtimeClassName': 'DnsSubdomainName',
  'V1PodSpec.hostname': 'DnsLabel',
  'V1PodSpec.subdomain': 'DnsLabel',
  'V1Toleration.key': 'QualifiedKey',
  'V1Toleration.operator': 'TolerationOperator',
  'V1Toleration.effect': 'TaintEffect',
  'V1Toleration.value': 'OptionalLabelValue',
  'V1EnvVar.name': 'EnvVarName',
  'V1EnvFromSource.prefix': 'EnvPrefix',
  'V1SecretKeySelector.key': 'ConfigMapKey',
  'V1SecretKeySelector.name': 'DnsSubdomainName',
  'V1ConfigMapKeySelector.key': 'ConfigMapKey',
  'V1ConfigMapKeySelector.name': 'DnsSubdomainName',
  'V1SecretEnvSource.name': 'DnsSubdomainName',
  'V1ConfigMapEnvSource.name': 'DnsSubdomainName',
  'V1ContainerPort.containerPort': 'Port',
  'V1ContainerPort.hostPort': 'HostPort',
  'V1ContainerPort.protocol': 'Protocol',
  'V1ContainerPort.name': 'PortName',
  'V1Container.terminationMessagePolicy': 'TerminationMessagePolicy',
  'V1VolumeMount.name': 'NonEmpty',
  'V1VolumeMount.mountPath': 'NonEmpty',
  'V1VolumeMount.subPath': 'DescendingPath',
  'V1VolumeMount.mountPropagation': 'MountPropagation',
  'V1VolumeMount.recursiveReadOnly': 'RecursiveReadOnly',
  'V1EmptyDirVolumeSource.sizeLimit': 'Quantity',
  // The API server only requires these names; a name that cannot exist fails when the pod starts.
  'V1ConfigMapVolumeSource.name': 'NonEmpty',
  'V1ConfigMapVolumeSource.defaultMode': 'FileMode',
  'V1SecretVolumeSource.secretName': 'NonEmpty',
  'V1SecretVolumeSource.defaultMode': 'FileMode',
  'V1KeyToPath.key': 'NonEmpty',
  'V1KeyToPath.path': 'ItemPath',
  'V1KeyToPath.mode': 'FileMode',
  'V1HostPathVolumeSource.path': 'NonEmpty',
  'V1HostPathVolumeSource.type': 'HostPathType',
  'V1PersistentVolumeClaimVolumeSource.claimName': 'NonEmpty',
  'V1NodeSelectorRequirement.key': 'RequiredQualifiedKey',
  'V1NodeSelectorRequirement.operator': 'NodeSelectorOperator',
  'V1LabelSelectorRequirement.key': 'RequiredQualifiedKey',
  'V1LabelSelectorRequirement.operator': 'LabelSelectorOperator',
  'V1LabelSelector.matchLabels': 'Labels',
  'V1PodAffinityTerm.topologyKey': 'RequiredQualifiedKey',
  'V1PreferredSchedulingTerm.weight': 'Weight',
  'V1WeightedPodAffinityTerm.weight': 'Weight',
  'V1PodSecurityContext.runAsUser': 'UnixId',
  'V1PodSecurityContext.runAsGroup': 'UnixId',
  'V1PodSecurityContext.fsGroup': 'UnixId',
  'V1SecurityContext.runAsUser': 'UnixId',
  'V1SecurityContext.runAsGroup': 'UnixId',
};

/** The key path of a field as the user wrote it (snake_case or camelCase), for problems about it. */
function pathOf(raw: PlainObject, path: string, apiName: string): string {
  const written = Object.keys(raw).find((key) => keyMatchForm(key) === keyMatchForm(apiName));
  return childPath(path, written ?? apiName);
}

function has(value: PlainObject, key: string): boolean {
  return value[key] !== undefined && value[key] !== null && value[key] !== '';
}

function exactlyOne(keys: readonly string[], what: string): ObjectCheck {
  return (value, _raw, path, where) => {
    const set = keys.filter((key) => has(value, key));
    if (set.length === 1) return;
    const problem =
      set.length === 0
        ? `expected one of ${keys.join(', ')}`
        : `sets ${set.join(' and ')}; expected exactly one ${what}`;
    where.problems.error(where.file, path, problem);
  };
}

const VOLUME_SOURCES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'hostPath',
  'image',
  'iscsi',
  'nfs',
  'persistentVolumeClaim',
  'photonPersistentDisk',
  'portworxVolume',
  'projected',
  'quobyte',
  'rbd',
  'scaleIO',
  'secret',
  'storageos',
  'vsphereVolume',
];

function required(keys: readonly string[]): ObjectCheck {
  return (value, raw, path, where) => {
    for (const key of keys)
      if (!has(value, key) && !reportedUnder(where, pathOf(raw, path, key)))
        where.problems.error(where.file, pathOf(raw, path, key), 'required: expected a value');
  };
}

/** A field whose value was refused is not reported a second time as missing. */
function reportedUnder(where: Where, path: string): boolean {
  return where.problems.items.some((problem) => problem.file === where.file && problem.keyPath === path);
}

function selectorValues(operators: {
  many: readonly string[];
  none: readonly string[];
  one?: readonly string[];
}): ObjectCheck {
  return (value, raw, path, where) => {
    const operator = value['operator'];
    const values = Array.isArray(value['values']) ? value['values'] : [];
    const at = pathOf(raw, path, 'values');
    if (typeof operator !== 'string') return;
    if (operators.many.includes(operator) && values.length === 0)
      where.problems.error(where.file, at, `operator ${operator} needs at least one value`);
    if (operators.none.includes(operator) && values.length > 0)
      where.problems.error(where.file, at, `operator ${operator} takes no values`);
    // The API server checks the count only; a value that is not a number fails at scheduling.
    if (operators.one?.includes(operator) && values.length !== 1)
      where.problems.error(where.file, at, `operator ${operator} needs exactly one value`);
  };
}

function all(...checks: ObjectCheck[]): ObjectCheck {
  return (value, raw, path, where) => checks.forEach((check) => check(value, raw, path, where));
}

export const apiObjectChecks: Record<string, ObjectCheck> = {
  V1Toleration: (value, raw, path, where) => {
    const operator = value['operator'] || 'Equal';
    if (operator === 'Exists' && has(value, 'value'))
      where.problems.error(where.file, pathOf(raw, path, 'value'), 'must be empty when operator is Exists');
    const keyWritten = Object.keys(raw).some((key) => keyMatchForm(key) === 'key');
    if (!keyWritten && operator !== 'Exists')
      where.problems.error(
        where.file,
        pathOf(raw, path, 'operator'),
        'must be Exists when key is empty (a toleration of every taint)',
      );
    if (value['tolerationSeconds'] !== undefined && value['effect'] !== 'NoExecute')
      where.problems.error(where.file, pathOf(raw, path, 'effect'), 'must be NoExecute when toleration_seconds is set');
  },
  V1EnvVar: (value, raw, path, where) => {
    if (has(value, 'value') && value['valueFrom'] !== undefined)
      where.problems.error(
        where.file,
        pathOf(raw, path, 'valueFrom'),
        'may not be set together with value; expected one of them',
      );
  },
  V1EnvVarSource: exactlyOne(
    ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'],
    'source',
  ),
  V1EnvFromSource: exactlyOne(['configMapRef', 'secretRef'], 'source'),
  V1SecretKeySelector: required(['name', 'key']),
  V1ConfigMapKeySelector: required(['name', 'key']),
  V1SecretEnvSource: required(['name']),
  V1ConfigMapEnvSource: required(['name']),
  V1ContainerPort: required(['containerPort']),
  V1VolumeMount: (value, raw, path, where) => {
    // A missing name is reported by the volume_mounts list itself (items merge by name).
    required(['mountPath'])(value, raw, path, where);
    if (has(value, 'subPath') && has(value, 'subPathExpr'))
      where.problems.error(
        where.file,
        pathOf(raw, path, 'subPathExpr'),
        'may not be set together with sub_path; expected one of them',
      );
    if (
      value['recursiveReadOnly'] !== undefined &&
      value['recursiveReadOnly'] !== 'Disabled' &&
      value['readOnly'] !== true
    ) {
      where.problems.error(where.file, pathOf(raw, path, 'recursiveReadOnly'), 'needs read_only: true');
    }
  },
  // A volume without a source becomes an emptyDir (the API server's defaulting); two sources are refused.
  V1Volume: (value, raw, path, where) => {
    const set = VOLUME_SOURCES.filter((key) => value[key] !== undefined);
    if (set.length > 1)
      where.problems.error(
        where.file,
        path,
        `sets ${set.join(' and ')}; expected at most one volume source (none: an emptyDir)`,
      );
  },
  V1ConfigMapVolumeSource: required(['name']),
  V1SecretVolumeSource: required(['secretName']),
  V1KeyToPath: required(['key', 'path']),
  V1HostPathVolumeSource: required(['path']),
  V1PersistentVolumeClaimVolumeSource: required(['claimName']),
  V1NodeSelector: (value, raw, path, where) => {
    const terms = value['nodeSelectorTerms'];
    if (!Array.isArray(terms) || terms.length === 0)
      where.problems.error(
        where.file,
        pathOf(raw, path, 'nodeSelectorTerms'),
        'expected at least one node selector term',
      );
  },
  V1NodeSelectorRequirement: all(
    required(['key', 'operator']),
    selectorValues({ many: ['In', 'NotIn'], none: ['Exists', 'DoesNotExist'], one: ['Gt', 'Lt'] }),
  ),
  V1LabelSelectorRequirement: all(
    required(['key', 'operator']),
    selectorValues({ many: ['In', 'NotIn'], none: ['Exists', 'DoesNotExist'] }),
  ),
  V1PodAffinityTerm: required(['topologyKey']),
  V1PreferredSchedulingTerm: required(['weight', 'preference']),
  V1WeightedPodAffinityTerm: required(['weight', 'podAffinityTerm']),
  V1JobSpec: (value, raw, path, where) => {
    const indexed = value['completionMode'] === 'Indexed';
    // Kubernetes sets completions and parallelism to 1 when both are unset, before validating.
    if (indexed && value['completions'] === undefined && value['parallelism'] !== undefined) {
      where.problems.error(
        where.file,
        pathOf(raw, path, 'completions'),
        'required when completion_mode is Indexed and parallelism is set',
      );
    }
    if (value['backoffLimitPerIndex'] !== undefined && !indexed)
      where.problems.error(where.file, pathOf(raw, path, 'backoffLimitPerIndex'), 'needs completion_mode: Indexed');
    if (value['maxFailedIndexes'] !== undefined && value['backoffLimitPerIndex'] === undefined)
      where.problems.error(where.file, pathOf(raw, path, 'maxFailedIndexes'), 'needs backoff_limit_per_index');
    if (value['selector'] !== undefined || value['manualSelector'] === true) {
      where.problems.error(
        where.file,
        pathOf(raw, path, value['selector'] !== undefined ? 'selector' : 'manualSelector'),
        'kubedispatch lets Kubernetes generate the selector of its Jobs; expected no selector and no manual_selector: true',
      );
    }
  },
};

/** Annotation keys are checked lower-cased (as the API server does) and all annotations together are at most 256 KiB. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

export function checkAnnotations(value: PlainObject, path: string, where: Where): PlainObject {
  let bytes = 0;
  for (const [key, annotation] of Object.entries(value)) {
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(annotation));
    if (!isQualifiedName(key.toLowerCase())) {
      where.problems.error(
        where.file,
        path,
        'an annotation key is not valid: expected keys like "note" or "example.com/note" (letters, digits, "-", "_" and "." and at most 63 characters after an optional DNS prefix)',
      );
      delete value[key];
    }
  }
  if (bytes > MAX_ANNOTATIONS_BYTES)
    where.problems.error(
      where.file,
      path,
      `annotations total ${bytes} bytes; expected at most ${MAX_ANNOTATIONS_BYTES}`,
    );
  return value;
}
