import type { ConfigProblem } from '../errors/config-problem.ts';
import { locateSetting } from './locate.ts';
import type { ConfigLayer, ContainerConfig, PodConfig } from './types.ts';

/**
 * Mounts of the rendered pod as the API server checks them: every mount names a volume of the pod,
 * and no two mounts share a mount path. Layers (and the dispatcher's own pod) merge volumes and
 * mounts by name, so this can only be decided on the final pod.
 */
export function checkMounts(
  pod: PodConfig,
  container: ContainerConfig,
  layers: readonly ConfigLayer[],
): ConfigProblem[] {
  const volumes = new Set((pod.volumes ?? []).map((volume) => volume.name));
  const problems: ConfigProblem[] = [];
  const paths = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const where = locateSetting(
      layers,
      (config) => config.container?.volumeMounts?.find((m) => m.name === mount.name),
      'container.volume_mounts',
    );
    if (!volumes.has(mount.name)) {
      problems.push({
        severity: 'error',
        ...where,
        message: `volume mount "${mount.name}" names no volume of the pod; expected a name listed in pod.volumes`,
      });
    }
    const other = paths.get(mount.mountPath);
    if (other !== undefined) {
      problems.push({
        severity: 'error',
        ...where,
        message: `volume mounts "${other}" and "${mount.name}" use the same mount path; expected each mount at its own path`,
      });
    } else {
      paths.set(mount.mountPath, mount.name);
    }
  }
  return problems;
}
