import { envVariableOf } from './env-defaults.ts';
import type { ConfigLayer, ExecutorConfig } from './types.ts';
import { writtenKeyPath } from './written-keys.ts';

export function joinKeyPath(base: string, path: string): string {
  return base && path ? `${base}.${path}` : base || path;
}

/** Where a layer sets the setting at `path`: the env var for the env-var layer, else the key path as written in the layer's file. */
export function settingKeyPath(layer: ConfigLayer, path: string): string {
  const variable = layer.name === 'env' ? envVariableOf(path) : undefined;
  return variable ?? joinKeyPath(layer.keyPath, writtenKeyPath(layer.config, path) ?? path);
}

/**
 * Where the effective value of a setting comes from: the highest layer that sets it. Problems with
 * a merged value point there, since that is the line to change.
 */
export function locateSetting(
  layers: readonly ConfigLayer[],
  pick: (config: ExecutorConfig) => unknown,
  path: string,
): { file: string; keyPath: string } {
  const layer = layers.find((candidate) => pick(candidate.config) !== undefined);
  return layer ? { file: layer.file, keyPath: settingKeyPath(layer, path) } : { file: 'configuration', keyPath: path };
}
