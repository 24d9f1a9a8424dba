// The model classes alone: the package's main entry also loads the HTTP client, seconds of start-up for a CLI.
import * as k8s from '@kubernetes/client-node/dist/gen/models/all.js';
import type { ProblemList } from '../errors/config-problem.ts';
import { childPath, describeType, isPlainObject, isReservedKey, itemPath } from '../input/input-shape.ts';
import { keyMatchForm, snakeCase } from './key-case.ts';

/** One key of an object type, in the form the Kubernetes client's models describe their fields. */
export interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format?: string;
}

export interface Where {
  file: string;
  problems: ProblemList;
}

/** A type with its own checks (quantities, names, label maps…); returns undefined after reporting a problem. */
export type CustomType = (value: unknown, path: string, where: Where, registry: TypeRegistry) => unknown;

/** A rule tying fields of one object together (the normalised object, the object as written, its path). */
export type ObjectCheck = (
  value: Record<string, unknown>,
  raw: Record<string, unknown>,
  path: string,
  where: Where,
) => void;

/**
 * Types beyond the client's models: object types made of attributes, custom checks, and
 * replacements for single attributes of client models (`V1Container.name` → a DNS label).
 */
export interface TypeRegistry {
  objects: Readonly<Record<string, readonly Attribute[]>>;
  custom: Readonly<Record<string, CustomType>>;
  attributeOverrides: Readonly<Record<string, string>>;
  /** Checks run on an object of a named type once its fields are normalised. */
  objectChecks?: Readonly<Record<string, ObjectCheck>>;
}

const INT32_MAX = 2 ** 31 - 1;
const LIST_TYPE = /^Array<(.+)>$/;
const MAP_TYPE = /^\{ \[key: string\]: (.+); \}$/;

type ModelClass = { getAttributeTypeMap(): readonly Attribute[] };

/** The attributes of a named object type: kubedispatch's own first, then the Kubernetes client's models. */
export function attributesOf(type: string, registry: TypeRegistry): readonly Attribute[] | undefined {
  const own = registry.objects[type];
  if (own) return own;
  const model = (k8s as unknown as Record<string, unknown>)[type];
  if (typeof model !== 'function' || !('getAttributeTypeMap' in model)) return undefined;
  return (model as ModelClass).getAttributeTypeMap().map((attribute) => {
    const override = registry.attributeOverrides[`${type}.${attribute.name}`];
    return override ? { ...attribute, type: override } : attribute;
  });
}

/**
 * Validates an untyped YAML value against a type and returns it in the API's form: keys in
 * camelCase, data keys (map types) verbatim, `null` meaning "not set". Problems are reported with
 * their key path; the result is undefined where the value was unusable.
 */
export function normaliseAs(value: unknown, type: string, path: string, where: Where, registry: TypeRegistry): unknown {
  if (value === null || value === undefined) return undefined;
  const custom = registry.custom[type];
  if (custom) return custom(value, path, where, registry);
  const list = LIST_TYPE.exec(type);
  if (list?.[1]) return normaliseList(value, list[1], path, where, registry);
  const map = MAP_TYPE.exec(type);
  if (map?.[1]) return normaliseMap(value, map[1], path, where, registry);
  switch (type) {
    case 'any':
      return value;
    case 'string':
    case 'Date':
      return normaliseString(value, path, where);
    case 'number':
      return expect(typeof value === 'number' && Number.isFinite(value), value, 'a number', path, where);
    case 'integer':
      return expect(Number.isSafeInteger(value), value, 'a whole number', path, where);
    case 'int32':
      return expect(
        Number.isSafeInteger(value) && Math.abs(value as number) <= INT32_MAX,
        value,
        `a whole number from -${INT32_MAX + 1} to ${INT32_MAX}`,
        path,
        where,
      );
    case 'boolean':
      return expect(typeof value === 'boolean', value, 'true or false', path, where);
    case 'IntOrString':
      return expect(
        Number.isSafeInteger(value) || typeof value === 'string',
        value,
        'a whole number or a string',
        path,
        where,
      );
  }
  const attributes = attributesOf(type, registry);
  if (!attributes) throw new Error(`no schema for type ${type}`);
  const normalised = normaliseObject(value, attributes, path, where, registry);
  const check = registry.objectChecks?.[type];
  if (normalised && check && isPlainObject(value)) check(normalised, value, path, where);
  return normalised;
}

export function normaliseObject(
  value: unknown,
  attributes: readonly Attribute[],
  path: string,
  where: Where,
  registry: TypeRegistry,
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return reportType(value, 'a mapping', path, where);
  const byForm = new Map(attributes.map((attribute) => [keyMatchForm(attribute.name), attribute]));
  const result: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [key, child] of Object.entries(value)) {
    const keyPath = childPath(path, key);
    const attribute = byForm.get(keyMatchForm(key));
    if (!attribute) {
      const allowed = attributes.map((a) => snakeCase(a.name)).join(', ');
      where.problems.error(
        where.file,
        keyPath,
        `unknown key "${key}"; expected one of (snake_case or camelCase): ${allowed}`,
      );
      continue;
    }
    const earlier = writtenAs.get(attribute.baseName);
    if (earlier !== undefined) {
      where.problems.error(where.file, keyPath, `"${key}" sets the same key as "${earlier}"; write it once`);
      continue;
    }
    writtenAs.set(attribute.baseName, key);
    const type =
      attribute.type === 'number' && attribute.format === 'int32'
        ? 'int32'
        : attribute.type === 'number' && attribute.format?.startsWith('int')
          ? 'integer'
          : attribute.type;
    const normalised = normaliseAs(child, type, keyPath, where, registry);
    if (normalised !== undefined) result[attribute.baseName] = normalised;
  }
  return result;
}

function normaliseList(
  value: unknown,
  itemType: string,
  path: string,
  where: Where,
  registry: TypeRegistry,
): unknown[] | undefined {
  if (!Array.isArray(value)) return reportType(value, 'a list', path, where);
  const items: unknown[] = [];
  value.forEach((item, index) => {
    const normalised = normaliseAs(item, itemType, itemPath(path, index), where, registry);
    if (normalised !== undefined) items.push(normalised);
  });
  return items;
}

/** Maps keyed by data (label names, resource names…): keys are kept exactly as written. */
export function normaliseMap(
  value: unknown,
  valueType: string,
  path: string,
  where: Where,
  registry: TypeRegistry,
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return reportType(value, 'a mapping', path, where);
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const keyPath = childPath(path, key);
    if (isReservedKey(key)) {
      where.problems.error(where.file, keyPath, `"${key}" is not allowed as a key`);
      continue;
    }
    const normalised = normaliseAs(child, valueType, keyPath, where, registry);
    if (normalised !== undefined) result[key] = normalised;
  }
  return result;
}

/** YAML reads `value: 1` or `value: true` as non-strings; where the API wants a string, those scalars are meant as text. */
export function normaliseString(value: unknown, path: string, where: Where): string | undefined {
  if (typeof value === 'string') return value;
  // `1e400` or `.inf` would become the text "Infinity", which nobody wrote: quoting says what was meant.
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return reportType(value, 'a string', path, where);
}

function expect(ok: boolean, value: unknown, expected: string, path: string, where: Where): unknown {
  return ok ? value : reportType(value, expected, path, where);
}

export function reportType(value: unknown, expected: string, path: string, where: Where): undefined {
  where.problems.error(where.file, path, `expected ${expected}, got ${describeType(value)}`);
  return undefined;
}
