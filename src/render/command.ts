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
}

/** Mage's own block command, so that Mage images run unchanged. */
export function defaultCommand(values: CommandValues): string[] {
  return [
    'mage', 'run', values.project_path, values.pipeline_uuid,
    '--block-uuid', values.block_uuid,
    '--executor-type', 'local_python',
    '--block-run-id', values.block_run_id,
    '--pipeline-run-id', values.pipeline_run_id,
  ];
}

export type FilledList = { ok: true; items: string[] } | { ok: false; message: string };

export function fillCommandPlaceholders(items: readonly string[], values: CommandValues): FilledList {
  const filled: string[] = [];
  for (const item of items) {
    const result = substitutePlaceholders(item, { ...values });
    if (!result.ok) {
      const known = Object.keys(values).map((name) => `{${name}}`).join(', ');
      return { ok: false, message: `unknown placeholder ${result.unknown.map((name) => `{${name}}`).join(', ')} in "${item}"; expected one of ${known} (write \${NAME} for shell variables)` };
    }
    filled.push(result.text);
  }
  return { ok: true, items: filled };
}
