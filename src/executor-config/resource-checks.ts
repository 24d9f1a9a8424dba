import type { ConfigProblem } from '../errors/config-problem.ts';
import type { ResourceMaximum } from './env-defaults.ts';
import { locateSetting } from './locate.ts';
import { parseQuantity } from './quantity.ts';
import type { ConfigLayer, ExecutorConfig } from './types.ts';

type ResourceKind = 'limits' | 'requests';

function resourceOf(config: ExecutorConfig, kind: ResourceKind, resource: string): string | undefined {
  return config.container?.resources?.[kind]?.[resource];
}

function locate(
  layers: readonly ConfigLayer[],
  kind: ResourceKind,
  resource: string,
): { file: string; keyPath: string } {
  return locateSetting(
    layers,
    (config) => resourceOf(config, kind, resource),
    `container.resources.${kind}.${resource}`,
  );
}

/** Extended resources (with a domain other than kubernetes.io) and huge pages need limit = request, as the API server says. */
function isOvercommitable(resource: string): boolean {
  if (resource.startsWith('hugepages-')) return false;
  const slash = resource.indexOf('/');
  const domain = slash < 0 ? 'kubernetes.io' : resource.slice(0, slash);
  return domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io');
}

/**
 * Guardrails and consistency of the merged resources, checked before any Job exists: every value
 * at most its `K8S_EXECUTOR_MAX_RESOURCE_*`, and no request above its limit (the API would refuse it).
 */
export function checkResources(
  merged: ExecutorConfig,
  layers: readonly ConfigLayer[],
  maximums: readonly ResourceMaximum[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const maximum of maximums) {
    const value = resourceOf(merged, maximum.kind, maximum.resource);
    const amount = value === undefined ? undefined : parseQuantity(value);
    if (amount === undefined || amount <= maximum.amount) continue;
    problems.push({
      severity: 'error',
      ...locate(layers, maximum.kind, maximum.resource),
      message: `${maximum.resource} ${maximum.kind} "${value}" is above the maximum "${maximum.text}" set by ${maximum.variable}`,
    });
  }
  for (const [resource, request] of Object.entries(merged.container?.resources?.requests ?? {})) {
    const limit = resourceOf(merged, 'limits', resource);
    if (!isOvercommitable(resource) && (limit === undefined || parseQuantity(limit) !== parseQuantity(request))) {
      problems.push({
        severity: 'error',
        ...locate(layers, 'requests', resource),
        message: `${resource} cannot be overcommitted: expected a limit equal to its request`,
      });
      continue;
    }
    const requested = parseQuantity(request);
    const limited = limit === undefined ? undefined : parseQuantity(limit);
    if (requested === undefined || limited === undefined || requested <= limited) continue;
    problems.push({
      severity: 'error',
      ...locate(layers, 'requests', resource),
      message: `${resource} request "${request}" is above its limit "${limit}"; expected a request at most the limit`,
    });
  }
  return problems;
}
