/**
 * `{name}` placeholders in user strings. `${NAME}` is left alone so that shell variables in
 * commands keep working.
 */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type Substitution = { ok: true; text: string } | { ok: false; unknown: string[] };

export function substitutePlaceholders(text: string, values: Readonly<Record<string, string>>): Substitution {
  const unknown = [...text.matchAll(PLACEHOLDER)]
    .map((match) => match[1] ?? '')
    .filter((name) => !Object.hasOwn(values, name));
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, text: text.replace(PLACEHOLDER, (_whole, name: string) => values[name] ?? '') };
}
