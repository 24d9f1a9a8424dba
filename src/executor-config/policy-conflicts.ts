import type { ConfigProblem } from '../errors/config-problem.ts';
import { leavesOf } from './leaves.ts';
import { settingKeyPath } from './locate.ts';
import { sameQuantity } from './quantity.ts';
import { sameValue } from './same-value.ts';
import type { ConfigLayer, Policy } from './types.ts';

/**
 * Values of block, pipeline or project layers that an enforced policy overrides. With
 * `strict_conflicts` each is an error (the user asked for something the cluster forbids); without,
 * the policy wins and the user is warned that their value has no effect.
 */
export function policyConflicts(policy: Policy, userLayers: readonly ConfigLayer[]): ConfigProblem[] {
  if (!policy.enabled || !policy.enforce) return [];
  const enforced = leavesOf(policy.config);
  return userLayers.flatMap((layer) => {
    const userValues = new Map(leavesOf(layer.config).map((leaf) => [leaf.path, leaf.value]));
    return enforced.flatMap(({ path, value }): ConfigProblem[] => {
      if (!userValues.has(path)) return [];
      const userValue = userValues.get(path);
      if (sameSetting(path, userValue, value)) return [];
      const both = `${JSON.stringify(userValue)} here, ${JSON.stringify(value)} in the policy ${policy.file}`;
      return [
        policy.strictConflicts
          ? {
              severity: 'error',
              file: layer.file,
              keyPath: settingKeyPath(layer, path),
              message: `conflicts with the enforced policy (${both}); remove it or use the policy's value (strict_conflicts is on)`,
            }
          : {
              severity: 'warning',
              file: layer.file,
              keyPath: settingKeyPath(layer, path),
              message: `overridden by the enforced policy (${both}); the policy's value is used`,
            },
      ];
    });
  });
}

/** Resource amounts are quantities: `1024Mi` asks for exactly what a policy's `1Gi` enforces. */
const RESOURCE_QUANTITY = /^container\.resources\.(limits|requests)\./;

function sameSetting(path: string, userValue: unknown, policyValue: unknown): boolean {
  return RESOURCE_QUANTITY.test(path) ? sameQuantity(userValue, policyValue) : sameValue(userValue, policyValue);
}
