import type { ConfigLayer } from '../executor-config/types.ts';
import type { Block, Pipeline, Project } from './model.ts';

/** The user's own layers for a block, highest first: block, pipeline, project. */
export function userLayers(project: Project, pipeline: Pipeline, block: Block): ConfigLayer[] {
  const layers: (ConfigLayer | null)[] = [
    block.executorConfig && {
      name: 'block',
      file: pipeline.file,
      keyPath: `${block.keyPath}.executor_config`,
      config: block.executorConfig,
    },
    pipeline.executorConfig && {
      name: 'pipeline',
      file: pipeline.file,
      keyPath: 'executor_config',
      config: pipeline.executorConfig,
    },
    project.k8sExecutorConfig && {
      name: 'project',
      file: project.metadataFile,
      keyPath: 'k8s_executor_config',
      config: project.k8sExecutorConfig,
    },
  ];
  return layers.filter((layer): layer is ConfigLayer => layer !== null);
}
