import { hasTemplateSyntax } from '../mage/mage-templates.ts';
import { childPath, isPlainObject, itemPath } from '../input/input-shape.ts';
import {
  apiAttributeOverrides,
  apiCustomTypes,
  apiObjectChecks,
  checkAnnotations,
  isContainerResourceName,
  oneOf,
  text,
} from './api-rules.ts';
import { isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName } from './k8s-names.ts';
import { parseQuantity, QUANTITY_EXPECTATION } from './quantity.ts';
import { attributesOf, normaliseAs, normaliseMap, normaliseObject, normaliseString, reportType } from './shape.ts';
import type { Attribute, CustomType, ObjectCheck, TypeRegistry, Where } from './shape.ts';

/**
 * The schema of an executor config (block, pipeline, project, template and policy files): every key
 * of Mage's reference text, plus the rest of the pod, container and job spec that users expect to
 * set beside them (security contexts, env_from, priority_class_name, command, args…). Kubernetes
 * parts are checked against the Kubernetes client's own model descriptions, so nothing unknown
 * reaches the API silently.
 */

const quantity: CustomType = (value, path, where) => {
  const text = normaliseString(value, path, where);
  if (text === undefined) return undefined;
  const amount = parseQuantity(text);
  if (amount !== undefined && amount >= 0n) return text;
  where.problems.error(where.file, path, `not a resource quantity: expected ${QUANTITY_EXPECTATION}`);
  return undefined;
};

const qualifiedKey =
  'a key like "app" or "example.com/app" (letters, digits, "-", "_", "." and at most 63 characters after an optional DNS prefix)';

/** A map keyed by data whose keys must pass `validKey` (labels: qualified names; resources: resource names). */
function keyedMap(
  valueType: string,
  validKey: (key: string) => boolean = isQualifiedName,
  expected = qualifiedKey,
): CustomType {
  return (value, path, where, registry) => {
    const result = normaliseMap(value, valueType, path, where, registry);
    if (!result) return undefined;
    for (const key of Object.keys(result)) {
      if (validKey(key)) continue;
      where.problems.error(where.file, childPath(path, key), `invalid key: expected ${expected}`);
      delete result[key];
    }
    return result;
  };
}

const resourceName = 'cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as example.com/gpu';

/** Container resources: known names, and extended resources (those with a domain) in whole units, as the API server wants. */
const containerResources: CustomType = (value, path, where, registry) => {
  const result = keyedMap('Quantity', isContainerResourceName, resourceName)(value, path, where, registry) as
    | Record<string, string>
    | undefined;
  for (const [key, amount] of Object.entries(result ?? {})) {
    if (!key.includes('/') || (parseQuantity(amount) ?? 0n) % 1_000_000_000n === 0n) continue;
    where.problems.error(where.file, childPath(path, key), 'an extended resource must be a whole number');
  }
  return result;
};

/**
 * A list whose items merge across layers by `name` (see merge.ts): an item without a name would be
 * lost in that merge and a name used twice in one layer would leave the winner to chance, so both
 * are refused here, with the other shape errors, rather than dropped silently later.
 */
function namedList(key: string, item: CustomType): CustomType {
  const anItem = `${/^[aeiou]/.test(key) ? 'an' : 'a'} ${key} item`;
  return (value, path, where, registry) => {
    if (!Array.isArray(value)) return reportType(value, 'a list', path, where);
    const firstIndexOf = new Map<string, number>();
    const items: unknown[] = [];
    value.forEach((raw, index) => {
      const at = itemPath(path, index);
      const reported = where.problems.items.length;
      const normalised = item(raw, at, where, registry);
      // An item that is wrong in itself has been reported already; its name says nothing more.
      if (normalised === undefined || where.problems.items.length > reported) return;
      const name = isPlainObject(normalised) ? normalised['name'] : undefined;
      const first = typeof name === 'string' ? firstIndexOf.get(name) : undefined;
      if (typeof name !== 'string' || name === '') {
        where.problems.error(where.file, at, `${anItem} needs a name (items of ${key} merge by name)`);
      } else if (first !== undefined) {
        where.problems.error(
          where.file,
          at,
          `the name ${JSON.stringify(name)} is also used by ${key}[${first}]; expected each ${key} item to have its own name (items of ${key} merge by name)`,
        );
      } else {
        firstIndexOf.set(name, index);
        items.push(normalised);
      }
    });
    return items;
  };
}

const ofType =
  (type: string): CustomType =>
  (value, path, where, registry) =>
    normaliseAs(value, type, path, where, registry);

const secretName: CustomType = (item, path, where) => {
  const name = isPlainObject(item) && Object.keys(item).length === 1 ? item['name'] : item;
  if (typeof name === 'string' && isDnsSubdomain(name)) return { name };
  return reportType(item, 'a secret name (string) or {name: <secret name>}', path, where);
};
const secretList = namedList('image_pull_secrets', secretName);

/** Mage accepts one secret name as a string; the API wants a list of `{name}`. */
const imagePullSecrets: CustomType = (value, path, where, registry) => {
  if (Array.isArray(value)) return secretList(value, path, where, registry);
  const secret = secretName(value, path, where, registry);
  return secret === undefined ? undefined : [secret];
};

const custom: Record<string, CustomType> = {
  Quantity: quantity,
  ...apiCustomTypes,
  Resources: containerResources,
  Labels: keyedMap('LabelValue'),
  Annotations: (value, path, where, registry) => {
    const result = normaliseMap(value, 'string', path, where, registry);
    return result && checkAnnotations(result, path, where);
  },
  LabelValue: text(
    isLabelValue,
    'a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
  ),
  DnsLabel: text(
    isDnsLabel,
    'a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit)',
  ),
  // Mage renders the namespace with Jinja (variables(), env_var()); a template is checked once rendered.
  Namespace: text(
    (value) => isDnsLabel(value) || hasTemplateSyntax(value),
    'a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit), or a Jinja template that renders to one',
  ),
  DnsSubdomain: text(
    isDnsSubdomain,
    'a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)',
  ),
  ImagePullSecrets: imagePullSecrets,
  EnvList: namedList('env', ofType('V1EnvVar')),
  VolumeList: namedList('volumes', ofType('V1Volume')),
  VolumeMountList: namedList('volume_mounts', ofType('V1VolumeMount')),
  ImagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never']),
  JobRestartPolicy: oneOf(['Never', 'OnFailure']),
};

const attributeOverrides: Record<string, string> = {
  ...apiAttributeOverrides,
  'V1Container.name': 'DnsLabel',
  'V1Container.imagePullPolicy': 'ImagePullPolicy',
  'V1ResourceRequirements.limits': 'Resources',
  'V1ResourceRequirements.requests': 'Resources',
  'V1Volume.name': 'DnsLabel',
  'V1PodSpec.nodeSelector': 'Labels',
  'V1PodSpec.serviceAccountName': 'ServiceAccountName',
  'V1PodSpec.imagePullSecrets': 'ImagePullSecrets',
  'V1PodSpec.volumes': 'VolumeList',
  'V1PodSpec.restartPolicy': 'JobRestartPolicy',
};

const field = (name: string, type: string): Attribute => ({ name, baseName: name, type });

function modelFieldsExcept(registry: TypeRegistry, model: string, ...excluded: string[]): Attribute[] {
  const attributes = attributesOf(model, registry);
  if (!attributes) throw new Error(`the Kubernetes client has no model ${model}`);
  return attributes.filter((attribute) => !excluded.includes(attribute.name));
}

const NAMED_CONTAINER_LISTS: Readonly<Record<string, string>> = { env: 'EnvList', volumeMounts: 'VolumeMountList' };

// The executor's job, pod and container types are the API's minus what the renderer owns: the same rules apply.
const objectChecks = {
  ...apiObjectChecks,
  ExecutorJob: apiObjectChecks['V1JobSpec']!,
  ExecutorPod: apiObjectChecks['V1PodSpec'],
  ExecutorContainer: apiObjectChecks['V1Container'],
};
const base: TypeRegistry = {
  objects: {},
  custom,
  attributeOverrides,
  objectChecks: Object.fromEntries(Object.entries(objectChecks).filter(([, check]) => check)) as Record<
    string,
    ObjectCheck
  >,
};

const executorConfigFields: Attribute[] = [
  field('namespace', 'Namespace'),
  field('jobNamePrefix', 'string'),
  field('serviceAccountName', 'ServiceAccountName'),
  field('resourceLimits', 'Resources'),
  field('resourceRequests', 'Resources'),
  field('metadata', 'ExecutorMetadata'),
  // The renderer owns the container list and the pod template; everything else in them is the user's.
  field('pod', 'ExecutorPod'),
  field('container', 'ExecutorContainer'),
  field('containerConfig', 'ExecutorContainer'),
  field('job', 'ExecutorJob'),
];

export const executorConfigRegistry: TypeRegistry = {
  ...base,
  objects: {
    ExecutorConfig: executorConfigFields,
    ExecutorMetadata: [field('labels', 'Labels'), field('annotations', 'Annotations'), field('namespace', 'Namespace')],
    ExecutorPod: modelFieldsExcept(base, 'V1PodSpec', 'containers'),
    // Only the job's own container merges env and volume_mounts by name; init containers' lists are plain.
    ExecutorContainer: modelFieldsExcept(base, 'V1Container').map((attribute) => ({
      ...attribute,
      type: NAMED_CONTAINER_LISTS[attribute.name] ?? attribute.type,
    })),
    ExecutorJob: modelFieldsExcept(base, 'V1JobSpec', 'template'),
    Policy: [
      field('enabled', 'boolean'),
      field('enforce', 'boolean'),
      field('strictConflicts', 'boolean'),
      ...executorConfigFields,
    ],
  },
};

/** Checks a raw executor config (or policy) mapping and returns it with API camelCase keys. */
export function normaliseRawConfig(
  value: unknown,
  type: 'ExecutorConfig' | 'Policy',
  path: string,
  where: Where,
): Record<string, unknown> | undefined {
  const attributes = executorConfigRegistry.objects[type] ?? [];
  return normaliseObject(value, attributes, path, where, executorConfigRegistry);
}
