import type { ConfigLayer } from '../executor-config/types.ts';
import type { Block, Pipeline, Project } from './model.ts';

/**
 * The user's own layers for a block, highest first: block, pipeline, project. Snapshots taken before
 * spellings were recorded have none: their problems name the normalised keys.
 */
export function userLayers(project: Project, pipeline: Pipeline, block: Block): ConfigLayer[] {
  const layers: (ConfigLayer | null)[] = [
    block.executorConfig && {
      name: 'block',
      file: pipeline.file,
      keyPath: `${block.keyPath}.executor_config`,
      config: block.executorConfig,
      spelling: block.executorConfigSpelling ?? {},
    },
    pipeline.executorConfig && {
      name: 'pipeline',
      file: pipeline.file,
      keyPath: 'executor_config',
      config: pipeline.executorConfig,
      spelling: pipeline.executorConfigSpelling ?? {},
    },
    project.k8sExecutorConfig && {
      name: 'project',
      file: project.metadataFile,
      keyPath: 'k8s_executor_config',
      config: project.k8sExecutorConfig,
      spelling: project.k8sExecutorConfigSpelling ?? {},
    },
  ];
  return layers.filter((layer): layer is ConfigLayer => layer !== null);
}
