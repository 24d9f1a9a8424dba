import type { ProblemList } from '../errors/config-problem.ts';
import { childPath, isPlainObject } from '../input/input-shape.ts';
import { CONFIG_PLACES, writtenKeyOf } from './key-spellings.ts';
import { leavesOf } from './leaves.ts';
import { mergeAt } from './merge.ts';
import { normaliseRawConfig } from './schema.ts';
import type { ExecutorConfig, ParsedConfig, Policy } from './types.ts';

/**
 * Validates one executor config mapping and folds Mage's alternative places for a setting into one
 * (CONFIG_PLACES), recording where each setting was written. Returns undefined when the mapping has
 * errors (they are in `problems`).
 */
export function parseExecutorConfig(
  value: unknown,
  file: string,
  path: string,
  problems: ProblemList,
): ParsedConfig | undefined {
  if (value === null || value === undefined) return undefined;
  const before = problems.items.length;
  const normalised = normaliseRawConfig(value, 'ExecutorConfig', path, { file, problems });
  if (!normalised || hasNewErrors(problems, before)) return undefined;
  return foldConfig(normalised, value, file, path, problems);
}

export function parsePolicy(value: unknown, file: string, problems: ProblemList): Policy | undefined {
  const before = problems.items.length;
  const normalised = normaliseRawConfig(value ?? {}, 'Policy', '', { file, problems });
  if (!normalised || hasNewErrors(problems, before)) return undefined;
  const { enabled, enforce, strictConflicts, ...rest } = normalised;
  const parsed = foldConfig(rest, value, file, '', problems);
  if (!parsed) return undefined;
  // A policy file exists to be applied; overriding users is opt-in (`enforce: true`).
  return {
    file,
    enabled: enabled !== false,
    enforce: enforce === true,
    strictConflicts: strictConflicts === true,
    ...parsed,
  };
}

/**
 * Places every value of the normalised mapping where CONFIG_PLACES says, a later place winning as
 * in a merge of layers, and records the path each resulting leaf was written at in `raw`, the
 * winner's where two places set it.
 */
function foldConfig(
  normalised: Record<string, unknown>,
  raw: unknown,
  file: string,
  path: string,
  problems: ProblemList,
): ParsedConfig | undefined {
  const namespace = valueAt(normalised, 'namespace');
  const metadataNamespace = valueAt(normalised, 'metadata.namespace');
  if (namespace !== undefined && metadataNamespace !== undefined && namespace !== metadataNamespace) {
    problems.error(
      file,
      childPath(path, 'namespace'),
      `namespace "${String(namespace)}" and metadata.namespace ` +
        `"${String(metadataNamespace)}" are the same setting with different values; set one of them`,
    );
    return undefined;
  }
  let config: unknown = {};
  const writtenAt = new Map<string, string>();
  for (const place of CONFIG_PLACES) {
    const value = valueAt(normalised, place.written);
    if (value === undefined) continue;
    const nested = place.at.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    config = mergeAt(nested, config, '');
    const written = writtenValueAt(raw, place.written);
    for (const leaf of leavesOf(value, place.at, written.raw, written.path)) writtenAt.set(leaf.path, leaf.written);
  }
  const spelling = Object.fromEntries([...writtenAt].filter(([leafPath, written]) => leafPath !== written));
  return { config: config as ExecutorConfig, spelling };
}

/** The value at a dotted path of schema keys in a normalised mapping. */
function valueAt(normalised: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), normalised);
}

/** The written value at a dotted path of (normalised) schema keys, and that path as written. */
function writtenValueAt(raw: unknown, path: string): { raw: unknown; path: string } {
  return path.split('.').reduce<{ raw: unknown; path: string }>(
    (at, key) => {
      const node = isPlainObject(at.raw) ? at.raw : {};
      const written = writtenKeyOf(node, key) ?? key;
      return { raw: node[written], path: childPath(at.path, written) };
    },
    { raw, path: '' },
  );
}

function hasNewErrors(problems: ProblemList, before: number): boolean {
  return problems.items.slice(before).some((problem) => problem.severity === 'error');
}
