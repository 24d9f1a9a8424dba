import { load, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors/config-problem.ts';
import { readInputFile, readInputFileSync } from './read-input-file.ts';
import type { InputFileRules } from './read-input-file.ts';

/** Larger files are refused before parsing: project files are small, and a huge one is a mistake or an attack. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** A handful of anchors is normal in hand-written YAML; hundreds of aliases is how alias bombs are built. */
export const MAX_YAML_ALIASES = 100;
const MAX_YAML_DEPTH = 64;
/**
 * Aliases are shared by reference when parsed, so a few dozen of them nested (the "billion laughs")
 * parse instantly but expand to billions of nodes for anything that walks the result. The expanded
 * size is bounded instead; real project files stay far below it.
 */
export const MAX_YAML_EXPANDED_NODES = 100_000;

/** Parses one YAML document; syntax problems become a ConfigError naming the file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) throw tooLarge(file, Buffer.byteLength(text));
  if (text.trim() === '') return null;
  let document: unknown;
  try {
    document = load(text, { filename: file, maxAliases: MAX_YAML_ALIASES, maxDepth: MAX_YAML_DEPTH });
  } catch (thrown) {
    if (thrown instanceof YAMLException) {
      const where = thrown.mark ? `line ${thrown.mark.line + 1}, column ${thrown.mark.column + 1}: ` : '';
      throw ConfigError.single(file, '', `invalid YAML: ${where}${thrown.reason} (expected a valid YAML document)`);
    }
    throw ConfigError.single(file, '', `cannot parse YAML: ${(thrown as Error).message}`);
  }
  if (!fitsExpanded(document, MAX_YAML_EXPANDED_NODES)) {
    throw ConfigError.single(
      file,
      '',
      `the document expands to more than ${MAX_YAML_EXPANDED_NODES} values through aliases (*name); write the values out or use fewer aliases`,
    );
  }
  return document;
}

/** Counts values as a walker would see them, stopping as soon as the budget is spent. */
function fitsExpanded(document: unknown, budget: number): boolean {
  let remaining = budget;
  const pending: unknown[] = [document];
  while (pending.length > 0) {
    const value = pending.pop();
    remaining -= 1;
    if (remaining < 0) return false;
    const children = Array.isArray(value)
      ? value
      : typeof value === 'object' && value !== null
        ? Object.values(value)
        : [];
    for (const child of children) pending.push(child);
  }
  return true;
}

/** Reads and parses a YAML file through the one reading primitive (read-input-file.ts). `within`: the project directory, for project files. */
export function readYamlFile(file: string, within?: string): unknown {
  return readYamlSource(file, within).document;
}

/** What a file's text goes through before parsing (the project metadata.yaml is a Jinja template). */
export type TextTransform = (text: string) => string;

/** Like readYamlFile, also returning the text so that later problems can be given line numbers. */
export function readYamlSource(
  file: string,
  within?: string,
  transform?: TextTransform,
): { text: string; document: unknown } {
  const read = readInputFileSync(file, yamlRules(within));
  const text = transform ? transform(read) : read;
  return { text, document: parseYaml(text, file) };
}

/** readYamlSource without blocking the event loop, for long-running processes. */
export async function readYamlSourceAsync(
  file: string,
  within?: string,
  transform?: TextTransform,
): Promise<{ text: string; document: unknown }> {
  const read = await readInputFile(file, yamlRules(within));
  const text = transform ? transform(read) : read;
  return { text, document: parseYaml(text, file) };
}

export function yamlRules(within?: string): InputFileRules {
  return within === undefined ? { maxBytes: MAX_YAML_BYTES } : { maxBytes: MAX_YAML_BYTES, within };
}

function tooLarge(file: string, bytes: number): ConfigError {
  return ConfigError.single(
    file,
    '',
    `file is ${bytes} bytes, larger than the ${MAX_YAML_BYTES}-byte limit for YAML input`,
  );
}
