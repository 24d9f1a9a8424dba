import { readFileSync, statSync } from 'node:fs';
import { load, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors/config-problem.ts';

/** Larger files are refused before parsing: project files are small, and a huge one is a mistake or an attack. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** A handful of anchors is normal in hand-written YAML; hundreds of aliases is how alias bombs are built. */
export const MAX_YAML_ALIASES = 100;
const MAX_YAML_DEPTH = 64;

/** Parses one YAML document; syntax problems become a ConfigError naming the file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) throw tooLarge(file, Buffer.byteLength(text));
  if (text.trim() === '') return null;
  try {
    return load(text, { filename: file, maxAliases: MAX_YAML_ALIASES, maxDepth: MAX_YAML_DEPTH });
  } catch (thrown) {
    if (thrown instanceof YAMLException) {
      const where = thrown.mark ? `line ${thrown.mark.line + 1}, column ${thrown.mark.column + 1}: ` : '';
      throw ConfigError.single(file, '', `invalid YAML: ${where}${thrown.reason} (expected a valid YAML document)`);
    }
    throw ConfigError.single(file, '', `cannot parse YAML: ${(thrown as Error).message}`);
  }
}

/** Reads and parses a YAML file, refusing missing, unreadable and oversized files with a clear message. */
export function readYamlFile(file: string): unknown {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw ConfigError.single(file, '', 'file not found (expected a readable YAML file)');
  }
  if (size > MAX_YAML_BYTES) throw tooLarge(file, size);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (thrown) {
    throw ConfigError.single(file, '', `cannot read file: ${(thrown as Error).message}`);
  }
  return parseYaml(text, file);
}

function tooLarge(file: string, bytes: number): ConfigError {
  return ConfigError.single(file, '', `file is ${bytes} bytes, larger than the ${MAX_YAML_BYTES}-byte limit for YAML input`);
}
