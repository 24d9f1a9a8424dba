import { ConfigError } from '../errors/config-problem.ts';
import { readYamlFile } from '../input/safe-yaml.ts';
import { BEHAVIOR_ANNOTATIONS } from './pod-behavior.ts';

/**
 * Simulated pod behaviour kept outside the project: rules that give the pods of matching Jobs
 * `sim.kubedispatch.io/*` annotations, so a real Mage project (examples/project) can be run on the
 * simulated cluster without annotations that would leak into its real Jobs. A rule matches when
 * every `match` entry equals a label or annotation of the Job's pod template; later rules win over
 * earlier ones, and the template's own annotations win over all.
 */
export interface BehaviourRule {
  match: Record<string, string>;
  annotations: Record<string, string>;
}

const KNOWN = new Set<string>(Object.values(BEHAVIOR_ANNOTATIONS));

/** Reads a rules file (`rules: [{match: {...}, annotations: {...}}]`), refusing unknown annotation names. */
export function readBehaviourRules(file: string): BehaviourRule[] {
  const document = readYamlFile(file) as { rules?: unknown } | null;
  const rules = document?.rules;
  if (!Array.isArray(rules))
    throw ConfigError.single(file, 'rules', 'expected a list of rules ({match: {...}, annotations: {...}})');
  return rules.map((rule: unknown, index) => {
    const path = `rules[${index}]`;
    const { match, annotations } = (rule ?? {}) as { match?: unknown; annotations?: unknown };
    const matchMap = stringMap(file, `${path}.match`, match ?? {});
    const annotationMap = stringMap(file, `${path}.annotations`, annotations);
    const unknown = Object.keys(annotationMap).find((key) => !KNOWN.has(key));
    if (unknown)
      throw ConfigError.single(
        file,
        `${path}.annotations`,
        `unknown annotation "${unknown}"; expected one of ${[...KNOWN].join(', ')}`,
      );
    return { match: matchMap, annotations: annotationMap };
  });
}

/** The annotations a pod made from `template` starts with: its rules' beneath its own. */
export function podAnnotations(
  rules: readonly BehaviourRule[],
  template: { labels?: Record<string, string>; annotations?: Record<string, string> },
): Record<string, string> | undefined {
  const own = template.annotations;
  const seen = { ...template.labels, ...own };
  const fromRules = rules
    .filter((rule) => Object.entries(rule.match).every(([key, value]) => seen[key] === value))
    .map((rule) => rule.annotations);
  if (fromRules.length === 0) return own ? { ...own } : undefined;
  return Object.assign({}, ...fromRules, own) as Record<string, string>;
}

function stringMap(file: string, path: string, value: unknown): Record<string, string> {
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMap || !Object.values(value).every((item) => typeof item === 'string')) {
    throw ConfigError.single(file, path, 'expected a mapping of strings (quote numbers: "1")');
  }
  return { ...(value as Record<string, string>) };
}
