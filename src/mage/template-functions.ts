import type { Env } from '../config/env.ts';
import { isOwnEnvVar } from '../config/settings.ts';
import { plainArgument, PythonNone, RefusedCall, stringValue, toTemplateValue } from './jinja-engine.ts';
import type { TemplateFunction } from './jinja-engine.ts';

/**
 * Mage's template functions (`get_template_vars` in mage_ai/data_preparation/shared/utils.py) as
 * kubedispatch can offer them: `env_var` and `json_value` work as in Mage; the secret functions
 * need Mage's secret store or cloud clients, which kubedispatch does not have, so calling one is
 * an error naming it rather than a silently empty value.
 */
export const SECRET_FUNCTIONS = ['mage_secret_var', 'aws_secret_var', 'azure_secret_var'] as const;

export function mageTemplateFunctions(env: Env): Record<string, TemplateFunction> {
  const functions: Record<string, TemplateFunction> = { env_var: envVar(env), json_value: jsonValue };
  for (const name of SECRET_FUNCTIONS)
    functions[name] = () => {
      throw refusedSecret(name);
    };
  return functions;
}

/**
 * The functions plus `variables(name)`, which Mage offers where a run exists (the k8s namespace):
 * a run variable's value, None when the run has none of that name.
 */
export function withRunVariables(
  functions: Record<string, TemplateFunction>,
  variables: Readonly<Record<string, unknown>>,
): Record<string, TemplateFunction> {
  return {
    ...functions,
    variables: ([name]) => {
      const key = plainArgument(name);
      if (typeof key !== 'string')
        throw new RefusedCall('variables', 'variables() expects the name of a run variable (a string)');
      return Object.hasOwn(variables, key) ? toTemplateValue(variables[key]) : new PythonNone();
    },
  };
}

/** Where no run exists (project metadata, executor_type), `variables()` fails as in Mage, with what to do instead. */
export function withoutRunVariables(
  functions: Record<string, TemplateFunction>,
  where: string,
): Record<string, TemplateFunction> {
  return {
    ...functions,
    variables: () => {
      throw new RefusedCall(
        'variables',
        `variables() cannot be used in ${where}: Mage renders it before any run exists (and fails, leaving the project's config empty); keep it for the k8s namespace of a block or pipeline executor_config, or write {% raw %}{{ variables('…') }}{% endraw %} to keep it literal`,
      );
    },
  };
}

/** `os.getenv(name[, default])`: unset prints as None, and so do kubedispatch's own variables. */
function envVar(env: Env): TemplateFunction {
  return ([name, fallback]) => {
    const key = plainArgument(name);
    if (typeof key !== 'string')
      throw new RefusedCall('env_var', 'env_var() expects the name of an environment variable (a string)');
    const value = isOwnEnvVar(key) ? undefined : env[key];
    if (value !== undefined) return stringValue(value);
    return fallback ?? new PythonNone();
  };
}

/** Mage's `get_json_value(text, path)`: parses `text` as JSON and digs `a.b[0].c`; non-JSON text comes back as it is. */
const jsonValue: TemplateFunction = ([text, path]) => {
  const source = plainArgument(text);
  if (!source) return text ?? new PythonNone();
  if (typeof source !== 'string')
    throw new RefusedCall('json_value', 'json_value() expects a JSON string as its first argument');
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return stringValue(source);
  }
  const keys = plainArgument(path);
  if (typeof keys !== 'string')
    throw new RefusedCall('json_value', 'json_value() expects a key path such as "a.b[0]" as its second argument');
  return toTemplateValue(
    dig(
      parsed,
      keys.split('.').map((key) => key.trim()),
    ),
  );
};

function dig(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    const indexed = /^(.*)\[(\d+)\]$/.exec(key);
    if (indexed) {
      const container = indexed[1] ? member(current, indexed[1]) : current;
      current = Array.isArray(container) ? container[Number(indexed[2])] : undefined;
      if (current === undefined) throw new RefusedCall('json_value', `json_value(): no item ${indexed[2]} at "${key}"`);
    } else if (current) {
      current = member(current, key) ?? null;
    }
  }
  return current;
}

function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function refusedSecret(name: string): RefusedCall {
  const store =
    name === 'mage_secret_var'
      ? "Mage's secret store (its database and key files)"
      : name === 'aws_secret_var'
        ? 'AWS Secrets Manager through Mage'
        : 'Azure Key Vault through Mage';
  return new RefusedCall(
    name,
    `${name}() is not supported: kubedispatch renders this file outside Mage and cannot read ${store}; give the Job the value from a Kubernetes Secret (container env with valueFrom.secretKeyRef, or env_from), or use env_var('NAME') for a variable set in kubedispatch's environment`,
  );
}
