import type { ContainerConfig } from '../executor-config/types.ts';
import { substitutePlaceholders } from './placeholders.ts';

/** Values for `{…}` placeholders in `container.command` and `container.args`. */
export interface CommandValues {
  project_path: string;
  pipeline_uuid: string;
  block_uuid: string;
  block_run_id: string;
  pipeline_run_id: string;
  trigger_name: string;
  attempt: string;
  /** The run's storage subpath in Mage's format (the same for every block and attempt of the run). */
  execution_partition: string;
  /** Mage's run variables as a JSON object, as `mage run --runtime-vars` takes them. */
  runtime_vars: string;
}

/** The script of Mage's image that installs the project's requirements.txt, then runs its arguments. */
const MAGE_ENTRYPOINT = '/app/run_app.sh';

/**
 * Mage's own block command, as Mage's Kubernetes executor builds it, minus the database: no
 * `--pipeline-run-id`/`--block-run-id` (Mage looks them up in its DB, which the pod lacks, and
 * crashes), plus the run's partition and its whole variables, which Mage would otherwise read from
 * that DB. With a `callbackUrl` (the attempt's, see src/callback/callback-url.ts) Mage reports the
 * block's status there, which is how a failed condition (exit code 0) is told from a success.
 */
export function defaultCommand(values: CommandValues, callbackUrl?: string): string[] {
  return [
    MAGE_ENTRYPOINT,
    'mage',
    'run',
    values.project_path,
    values.pipeline_uuid,
    '--block-uuid',
    values.block_uuid,
    '--executor-type',
    'local_python',
    '--execution-partition',
    values.execution_partition,
    '--runtime-vars',
    values.runtime_vars,
    ...(callbackUrl ? ['--callback-url', callbackUrl] : []),
  ];
}

export interface ResolvedCommand {
  lists: Pick<ContainerConfig, 'command' | 'args'>;
  problems: { key: 'command' | 'args'; message: string }[];
}

/**
 * The container's command and args with placeholders filled. Mage's command is the default only
 * when neither is set: `args` alone keep the image's entrypoint, as in Kubernetes.
 */
export function resolveCommand(
  container: ContainerConfig,
  values: CommandValues,
  callbackUrl?: string,
): ResolvedCommand {
  // The default is built from the values, not substituted: a variable holding "{x}" is data, not a placeholder.
  if (container.command === undefined && container.args === undefined)
    return { lists: { command: defaultCommand(values, callbackUrl) }, problems: [] };
  const resolved: ResolvedCommand = { lists: {}, problems: [] };
  for (const key of ['command', 'args'] as const) {
    const items = container[key];
    if (!items) continue;
    const unknown = new Set<string>();
    const filled = items.map((item) => {
      const result = substitutePlaceholders(item, { ...values });
      if (result.ok) return result.text;
      for (const name of result.unknown) unknown.add(`{${name}}`);
      return item;
    });
    if (unknown.size === 0) resolved.lists[key] = filled;
    else {
      const known = Object.keys(values)
        .map((name) => `{${name}}`)
        .join(', ');
      resolved.problems.push({
        key,
        message: `unknown placeholder ${[...unknown].join(', ')}; expected one of ${known} (write \${NAME} for shell variables)`,
      });
    }
  }
  return resolved;
}
