import { load, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors/config-problem.ts';
import { readInputFileSync } from '../input/read-input-file.ts';

/** A settings file is a few kilobytes; a larger one is a mistake (or not a settings file at all). */
const MAX_SETTINGS_BYTES = 256 * 1024;

/**
 * Why a settings file cannot be used. The message names the file, the key path and the line, and
 * never quotes a line of the file: a settings file holds `authToken` and `redis.url`.
 */
export class SettingsFileError extends Error {
  override name = 'SettingsFileError';
}

/** A key written at the start of a line, `key:` or `- key:`; the value after it is never looked at. */
const KEY_LINE = /^(\s*)(?:-\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s|$)/;

/**
 * The key path of every line, from the keys above it and their indentation. Settings are plain
 * nested mappings, so this is enough to point at a line, also one that does not parse (the YAML
 * parser gives no key path then).
 */
function lineKeyPaths(text: string): string[] {
  const stack: { indent: number; key: string }[] = [];
  return text.split('\n').map((current) => {
    const match = KEY_LINE.exec(current);
    if (match) {
      const indent = (match[1] ?? '').length;
      while (stack.length > 0 && (stack.at(-1)?.indent ?? 0) >= indent) stack.pop();
      stack.push({ indent, key: match[2] ?? '' });
    }
    return stack.map((entry) => entry.key).join('.');
  });
}

/** The key path line `line` (0-based) belongs to; '' before the first key. */
export function keyPathAtLine(text: string, line: number): string {
  return lineKeyPaths(text)[line] ?? '';
}

/** The 1-based line where `keyPath` is written, if it is. */
export function lineOfKeyPath(text: string, keyPath: string): number | undefined {
  const lines = text.split('\n');
  const paths = lineKeyPaths(text);
  const index = paths.findIndex((path, line) => path === keyPath && KEY_LINE.test(lines[line] ?? ''));
  return index < 0 ? undefined : index + 1;
}

/**
 * The parser's reason without what it quotes of the text (an alias or a tag name, which can be a
 * piece of a secret): only the explanation is kept.
 */
function reasonWithoutQuotes(reason: string): string {
  return reason.replace(/"[^"]*"|'[^']*'|!<[^>]*>|![^\s,]*/g, '…');
}

/** Reads and parses a settings file; syntax errors name the file, key path, line and column, never the content. */
export function readSettingsFile(file: string): { document: unknown; text: string } {
  let text: string;
  try {
    // The one reading primitive: a regular file of bounded size in UTF-8 (a FIFO or /dev/zero would hang or exhaust memory).
    text = readInputFileSync(file, { maxBytes: MAX_SETTINGS_BYTES });
  } catch (thrown) {
    if (thrown instanceof ConfigError)
      throw new SettingsFileError(
        `${thrown.message.replace(/^error: /, '')}; set KUBEDISPATCH_CONFIG or --config to a readable YAML settings file`,
      );
    throw new SettingsFileError(
      `${file}: cannot read the settings file; set KUBEDISPATCH_CONFIG or --config to a readable YAML file`,
    );
  }
  try {
    return { document: load(text, { filename: file }), text };
  } catch (thrown) {
    if (!(thrown instanceof YAMLException)) throw new SettingsFileError(`${file}: not valid YAML`);
    const line = thrown.mark?.line ?? 0;
    const keyPath = keyPathAtLine(text, line);
    const where = `${keyPath ? `${keyPath}: ` : ''}line ${line + 1}, column ${(thrown.mark?.column ?? 0) + 1}`;
    throw new SettingsFileError(
      `${file}: ${where}: invalid YAML: ${reasonWithoutQuotes(thrown.reason ?? 'syntax error')} (the line is not shown: a settings file may hold secrets)`,
    );
  }
}
