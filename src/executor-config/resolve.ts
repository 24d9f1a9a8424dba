import type { ConfigProblem } from '../errors/config-problem.ts';
import type { ResourceMaximum } from './env-defaults.ts';
import { HARDCODED_DEFAULTS } from './hardcoded-defaults.ts';
import { mergeConfigs } from './merge.ts';
import { policyConflicts } from './policy-conflicts.ts';
import { checkResources } from './resource-checks.ts';
import type { ConfigLayer, ExecutorConfig, Policy } from './types.ts';

/** What the process knows beside the project: template, policy, env-var defaults and guardrails. */
export interface ConfigSources {
  template: ConfigLayer | null;
  policy: Policy | null;
  envDefaults: ConfigLayer;
  maximums: readonly ResourceMaximum[];
}

export interface Resolution {
  config: ExecutorConfig;
  /** Every layer that took part, highest priority first. */
  layers: ConfigLayer[];
  problems: ConfigProblem[];
}

/**
 * The priority table, highest first:
 *   no policy or `enabled: false`: block → pipeline → project → template → env → hardcoded;
 *   `enforce: true`:  policy → block → pipeline → project → template → env → hardcoded;
 *   `enforce: false`: block → pipeline → project → policy → template → env → hardcoded.
 */
export function orderLayers(user: readonly ConfigLayer[], sources: ConfigSources): ConfigLayer[] {
  const { policy, template, envDefaults } = sources;
  const policyLayer: ConfigLayer | null = policy?.enabled
    ? { name: 'policy', file: policy.file, keyPath: '', config: policy.config }
    : null;
  const ordered = policy?.enforce
    ? [policyLayer, ...user, template, envDefaults, HARDCODED_DEFAULTS]
    : [...user, policyLayer, template, envDefaults, HARDCODED_DEFAULTS];
  return ordered.filter((layer): layer is ConfigLayer => layer !== null);
}

/** The effective executor config of one block from its user layers (block, pipeline, project; highest first). */
export function resolveExecutorConfig(sources: ConfigSources, user: readonly ConfigLayer[]): Resolution {
  const layers = orderLayers(user, sources);
  const config = mergeConfigs(layers.map((layer) => layer.config));
  const problems = [
    ...(sources.policy ? policyConflicts(sources.policy, user) : []),
    ...checkResources(config, layers, sources.maximums),
  ];
  return { config, layers, problems };
}
