import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';

export type ShippedRole = 'scheduler' | 'dispatcher' | 'watcher' | 'dashboard';

interface Deployment {
  kind: string;
  spec: { template: { spec: { containers: { args?: string[]; env?: { name: string; value?: string }[] }[] } } };
}

/**
 * The Node flags a deployed process of `role` runs with: the NODE_OPTIONS of its Deployment in k8s/,
 * which is the chart rendered with its default values (scripts/render-k8s.mjs; `--check` fails when it
 * is stale). Read from the rendered output, not from values.yaml, so that how values become flags is
 * known to the chart's template alone. The image's entry point adds none (test/unit/dockerfile.test.ts).
 */
export function shippedNodeFlags(role: ShippedRole): string[] {
  const manifest = readFileSync(new URL('../../k8s/kubedispatch.yaml', import.meta.url), 'utf8');
  const container = (loadAll(manifest) as Deployment[])
    .filter((object) => object?.kind === 'Deployment')
    .map((deployment) => deployment.spec.template.spec.containers[0])
    .find((first) => first?.args?.[0] === role);
  if (!container) throw new Error(`k8s/kubedispatch.yaml: no Deployment runs the ${role}`);
  const options = container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? '';
  return options.split(/\s+/).filter(Boolean);
}
