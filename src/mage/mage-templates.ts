import type { Env } from '../config/env.ts';
import { ConfigError } from '../errors/config-problem.ts';
import { renderJinja, TemplateError } from './jinja-engine.ts';
import { mageTemplateFunctions, withoutRunVariables, withRunVariables } from './template-functions.ts';

/**
 * What Mage renders with Jinja, and with which functions (facts §4): the project metadata.yaml as
 * a whole before it is parsed, `executor_type` strings, and the k8s namespace (with the run's
 * variables). Pipeline metadata.yaml and triggers.yaml are read as plain YAML, as in Mage.
 */

const TEMPLATE_SYNTAX = /\{\{|\{%|\{#/;

/** Whether a value is a Jinja template (and so checked only once rendered). */
export function hasTemplateSyntax(text: string): boolean {
  return TEMPLATE_SYNTAX.test(text);
}

/** The project metadata.yaml text after Jinja; an error names the file and the template's line. */
export function renderProjectMetadata(text: string, file: string, env: Env): string {
  if (!TEMPLATE_SYNTAX.test(text)) return text;
  try {
    return renderJinja(text, withoutRunVariables(mageTemplateFunctions(env), "the project's metadata.yaml"));
  } catch (thrown) {
    if (!(thrown instanceof TemplateError)) throw thrown;
    const where = thrown.line === undefined ? '' : `line ${thrown.line}: `;
    throw ConfigError.single(
      file,
      '',
      `Jinja template error: ${where}${thrown.message} (Mage renders this file with Jinja before reading it)`,
    );
  }
}

export type Rendered = { ok: true; value: string } | { ok: false; message: string };

/** A block's or pipeline's `executor_type`, rendered as Mage does when it picks the executor. */
export function renderExecutorType(value: string, env: Env): Rendered {
  return renderValue(value, () => withoutRunVariables(mageTemplateFunctions(env), 'executor_type'));
}

/** The Job's namespace, rendered as Mage's k8s executors do, where `variables(name)` reads the run's variables. */
export function renderNamespace(value: string, variables: Readonly<Record<string, unknown>>, env: Env): Rendered {
  return renderValue(value, () => withRunVariables(mageTemplateFunctions(env), variables));
}

function renderValue(value: string, functions: () => Parameters<typeof renderJinja>[1]): Rendered {
  if (!TEMPLATE_SYNTAX.test(value)) return { ok: true, value };
  try {
    return { ok: true, value: renderJinja(value, functions()) };
  } catch (thrown) {
    if (!(thrown instanceof TemplateError)) throw thrown;
    return { ok: false, message: `Jinja template error: ${thrown.message}` };
  }
}
