import { posix } from 'node:path';
import type { V1Job, V1Volume } from '@kubernetes/client-node';
import type { ConfigProblem } from '../errors/config-problem.ts';
import type { Pipeline, Project } from '../project/model.ts';

/** `MAGE_DATA_DIR` as the mageai/mageai image sets it (its Dockerfile); a Job's own env may change it. */
export const MAGE_IMAGE_DATA_DIR = '/home/src/mage_data';
/** Volume kinds that live and die with one pod, or are read-only: outputs written there reach no other pod. */
const POD_LOCAL_VOLUMES = ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;

/**
 * Where Mage inside the Job keeps block outputs (facts §2): `$MAGE_DATA_DIR/<project folder name>`,
 * as `get_variables_dir` builds it for an absolute data dir.
 */
export function variablesRoot(job: V1Job, projectPath: string): string {
  const container = job.spec?.template.spec?.containers[0];
  const dataDir = container?.env?.find((variable) => variable.name === 'MAGE_DATA_DIR')?.value || MAGE_IMAGE_DATA_DIR;
  return posix.join(dataDir, posix.basename(posix.resolve('/', projectPath)));
}

/** Whether a volume that outlives the pod is mounted at `root` or above it. */
export function mountsSharedStorage(job: V1Job, root: string): boolean {
  const pod = job.spec?.template.spec;
  const volumes = new Map((pod?.volumes ?? []).map((volume) => [volume.name, volume]));
  return (pod?.containers[0]?.volumeMounts ?? []).some((mount) => {
    const at = posix.resolve('/', mount.mountPath);
    const covers = root === at || root.startsWith(at === '/' ? '/' : `${at}/`);
    const volume = volumes.get(mount.name);
    return covers && volume !== undefined && !isPodLocal(volume);
  });
}

function isPodLocal(volume: V1Volume): boolean {
  return POD_LOCAL_VOLUMES.some((kind) => volume[kind] !== undefined);
}

/**
 * One warning per pipeline whose blocks pass data (a block with upstreams) while its Jobs keep
 * outputs on pod-local disk: a downstream block's pod would not find its upstream's output.
 */
export function sharedOutputsWarning(
  project: Project,
  pipeline: Pipeline,
  jobs: ReadonlyMap<string, V1Job>,
  projectPath: string,
): ConfigProblem | undefined {
  if (project.remoteVariablesDir) return undefined;
  const unshared = pipeline.blocks.filter((block) => {
    const job = jobs.get(block.uuid);
    return (
      block.upstreamBlocks.length > 0 && job !== undefined && !mountsSharedStorage(job, variablesRoot(job, projectPath))
    );
  });
  const first = unshared[0];
  if (!first) return undefined;
  const root = variablesRoot(jobs.get(first.uuid)!, projectPath);
  const readers = unshared
    .slice(0, 3)
    .map((block) => `"${block.uuid}" reads ${block.upstreamBlocks.map((uuid) => `"${uuid}"`).join(', ')}`)
    .join('; ');
  return {
    severity: 'warning',
    file: pipeline.file,
    keyPath: `${first.keyPath}.upstream_blocks`,
    message: `blocks of pipeline "${pipeline.uuid}" pass data (${readers}${unshared.length > 3 ? '; …' : ''}), but each Job keeps block outputs on its own pod's disk under ${root} ($MAGE_DATA_DIR/<project folder>), so a downstream block will not find its upstream's output; mount a ReadWriteMany volume at ${root} (or above it) in the Jobs, or set remote_variables_dir: s3://<bucket>/<prefix> (or gs://…) in ${project.metadataFile} (docs/mage-compatibility.md)`,
  };
}
