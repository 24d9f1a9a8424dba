import { formatTime } from './clock.ts';
import { generatedName, newUid } from './names.ts';
import type { KubeObject } from './objects.ts';
import { JOBS } from './resources.ts';
import { invalid, type StatusCause } from './status.ts';
import {
  invalidValue,
  notSupported,
  required,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabels,
} from './validation.ts';

type Json = Record<string, unknown>;

interface ContainerSpec extends Json {
  name?: string;
  image?: string;
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

/** The labels that tie a Job's pods to it, added by the API server. */
function controllerLabels(name: string, uid: string): Record<string, string> {
  return {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}

function validateJob(job: Json, name: string): StatusCause[] {
  const metadata = asObject(job['metadata']);
  const spec = asObject(job['spec']);
  const template = asObject(spec['template']);
  const templateSpec = asObject(template['spec']);
  const causes: StatusCause[] = [];
  if (!name) causes.push(required('metadata.name'));
  else causes.push(...validateDns1123Subdomain('metadata.name', name));
  causes.push(...validateLabels('metadata.labels', asObject(metadata['labels'])));
  // The template is validated with the labels the API server adds, so a name over 63 characters
  // fails here, as the value of the job-name labels.
  const templateLabels = { ...asObject(asObject(template['metadata'])['labels']), ...controllerLabels(name, 'uid') };
  causes.push(...validateLabels('spec.template.labels', templateLabels));
  for (const field of ['backoffLimit', 'completions', 'parallelism', 'ttlSecondsAfterFinished'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== null && (!Number.isInteger(value) || (value as number) < 0)) {
      causes.push(invalidValue(`spec.${field}`, value, 'must be greater than or equal to 0'));
    }
  }
  const deadline = spec['activeDeadlineSeconds'];
  if (deadline !== undefined && deadline !== null && (!Number.isInteger(deadline) || (deadline as number) <= 0)) {
    causes.push(invalidValue('spec.activeDeadlineSeconds', deadline, 'must be greater than 0'));
  }
  const containers = templateSpec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) causes.push(required('spec.template.spec.containers'));
  else {
    containers.forEach((raw, index) => {
      const container = asObject(raw) as ContainerSpec;
      const path = `spec.template.spec.containers[${index}]`;
      if (!container.name) causes.push(required(`${path}.name`));
      else causes.push(...validateDns1123Label(`${path}.name`, container.name));
      if (!container.image || typeof container.image !== 'string' || container.image.trim() === '')
        causes.push(required(`${path}.image`));
    });
  }
  const restartPolicy = templateSpec['restartPolicy'] ?? 'Always';
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['OnFailure', 'Never']));
  }
  if (spec['selector'] !== undefined && spec['manualSelector'] !== true) {
    causes.push(invalidValue('spec.selector', spec['selector'], '`selector` will be auto-generated'));
  }
  return causes;
}

function defaultContainer(container: ContainerSpec): ContainerSpec {
  const image = container.image ?? '';
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  return {
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: tagged || image.includes('@') ? 'IfNotPresent' : 'Always',
    resources: {},
    ...container,
  };
}

/**
 * What the API server does to a Job on create: validation (422 with every problem at once),
 * defaulting, and the generated selector and controller labels on the pod template.
 */
export function admitJob(body: unknown, namespace: string, nowMs: number): KubeObject {
  const job = asObject(body);
  const metadata = asObject(job['metadata']);
  const generateName = typeof metadata['generateName'] === 'string' ? (metadata['generateName'] as string) : undefined;
  const name =
    typeof metadata['name'] === 'string' && metadata['name'] !== ''
      ? (metadata['name'] as string)
      : generateName
        ? generatedName(generateName)
        : '';
  const causes = validateJob(job, name);
  if (causes.length > 0) throw invalid(JOBS, name, causes);

  const uid = newUid();
  const spec = asObject(job['spec']);
  const template = asObject(spec['template']);
  const templateMeta = asObject(template['metadata']);
  const templateSpec = asObject(template['spec']);
  const userTemplateLabels = asObject(templateMeta['labels']) as Record<string, string>;
  const jobLabels = asObject(metadata['labels']) as Record<string, string>;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...metadata,
      name,
      namespace,
      uid,
      resourceVersion: '',
      generation: 1,
      creationTimestamp: formatTime(nowMs),
      // Defaulting copies the pod template's labels to a Job that has none.
      labels: Object.keys(jobLabels).length > 0 ? jobLabels : { ...userTemplateLabels },
    },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      ...spec,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        ...template,
        metadata: { ...templateMeta, labels: { ...userTemplateLabels, ...controllerLabels(name, uid) } },
        spec: {
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          ...templateSpec,
          containers: (templateSpec['containers'] as ContainerSpec[]).map(defaultContainer),
        },
      },
    },
    status: {},
  };
}
