import type { Env } from '../config/env.ts';
import type { ProblemList } from '../errors/config-problem.ts';
import { isDnsLabel, isDnsSubdomain } from './k8s-names.ts';
import { parseQuantity, QUANTITY_EXPECTATION } from './quantity.ts';
import type { ConfigLayer, ExecutorConfig } from './types.ts';

export const ENVIRONMENT = 'environment';

type ResourceKind = 'limits' | 'requests';
const RESOURCE_VARS: readonly { kind: ResourceKind; resource: 'cpu' | 'memory'; suffix: string }[] = [
  { kind: 'requests', resource: 'cpu', suffix: 'REQUESTS_CPU' },
  { kind: 'requests', resource: 'memory', suffix: 'REQUESTS_MEMORY' },
  { kind: 'limits', resource: 'cpu', suffix: 'LIMITS_CPU' },
  { kind: 'limits', resource: 'memory', suffix: 'LIMITS_MEMORY' },
];

/** A maximum from `K8S_EXECUTOR_MAX_RESOURCE_*`: the value as written, its exact amount (nano-units, see quantity.ts), and the variable. */
export interface ResourceMaximum {
  kind: ResourceKind;
  resource: 'cpu' | 'memory';
  variable: string;
  text: string;
  amount: bigint;
}

const NAMESPACE_VARIABLE = 'KUBE_NAMESPACE';
const SERVICE_ACCOUNT_VARIABLE = 'K8S_EXECUTOR_DEFAULT_SERVICE_ACCOUNT_NAME';
const defaultResourceVariable = (suffix: string): string => `K8S_EXECUTOR_DEFAULT_RESOURCE_${suffix}`;

/**
 * The env-var layer: applies only where no higher layer sets a value (`KUBE_NAMESPACE`,
 * `K8S_EXECUTOR_DEFAULT_RESOURCE_*`, `K8S_EXECUTOR_DEFAULT_SERVICE_ACCOUNT_NAME`).
 */
export function readEnvDefaults(env: Env, problems: ProblemList): ConfigLayer {
  const config: ExecutorConfig = {};
  const namespace = readVar(env, NAMESPACE_VARIABLE, isDnsLabel, 'a DNS-1123 label such as my-namespace', problems);
  if (namespace !== undefined) config.namespace = namespace;
  const serviceAccountName = readVar(env, SERVICE_ACCOUNT_VARIABLE, isDnsSubdomain, 'a service account name', problems);
  if (serviceAccountName !== undefined) config.pod = { serviceAccountName };
  const resources: Partial<Record<ResourceKind, Record<string, string>>> = {};
  for (const { kind, resource, suffix } of RESOURCE_VARS) {
    const value = readQuantityVar(env, defaultResourceVariable(suffix), problems);
    if (value !== undefined) resources[kind] = { ...resources[kind], [resource]: value.text };
  }
  if (resources.limits || resources.requests) config.container = { resources };
  return { name: 'env', file: ENVIRONMENT, keyPath: '', config };
}

/** The variable that sets a setting of the env-var layer (normalised path, as in ExecutorConfig), so problems can name it. */
export function envVariableOf(path: string): string | undefined {
  if (path === 'namespace') return NAMESPACE_VARIABLE;
  if (path === 'pod.serviceAccountName') return SERVICE_ACCOUNT_VARIABLE;
  const resourceVar = RESOURCE_VARS.find(({ kind, resource }) => path === `container.resources.${kind}.${resource}`);
  return resourceVar && defaultResourceVariable(resourceVar.suffix);
}

/** Guardrails from `K8S_EXECUTOR_MAX_RESOURCE_{REQUESTS,LIMITS}_{CPU,MEMORY}`. */
export function readResourceMaximums(env: Env, problems: ProblemList): ResourceMaximum[] {
  return RESOURCE_VARS.flatMap(({ kind, resource, suffix }) => {
    const variable = `K8S_EXECUTOR_MAX_RESOURCE_${suffix}`;
    const value = readQuantityVar(env, variable, problems);
    return value ? [{ kind, resource, variable, ...value }] : [];
  });
}

function readQuantityVar(
  env: Env,
  variable: string,
  problems: ProblemList,
): { text: string; amount: bigint } | undefined {
  const text = env[variable]?.trim();
  if (!text) return undefined;
  const amount = parseQuantity(text);
  if (amount !== undefined && amount >= 0n) return { text, amount };
  problems.error(ENVIRONMENT, variable, `"${text}" is not a resource quantity: expected ${QUANTITY_EXPECTATION}`);
  return undefined;
}

function readVar(
  env: Env,
  variable: string,
  check: (value: string) => boolean,
  expected: string,
  problems: ProblemList,
): string | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  if (check(value)) return value;
  problems.error(ENVIRONMENT, variable, `"${value}" is not valid: expected ${expected}`);
  return undefined;
}
