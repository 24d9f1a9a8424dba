import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { relative, isAbsolute, sep } from 'node:path';
import { ConfigError } from '../errors/config-problem.ts';

/**
 * The one way kubedispatch reads a user's file (project, pipeline, trigger, template, policy and
 * settings files): only a regular file, at most `maxBytes` (counted while reading, so a device or a
 * file that grows cannot exhaust memory), valid UTF-8, and for project files only inside the project
 * directory. Opening never waits: O_NONBLOCK makes a FIFO open at once, and it is then refused by
 * its type. Problems are ConfigErrors naming the file; the file's content is never quoted.
 */
export interface InputFileRules {
  maxBytes: number;
  /** The directory the file's real path must stay inside (symlinks leading out of it are refused). */
  within?: string;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const CHUNK_BYTES = 64 * 1024;

/** Reads a file synchronously (for the CLI, which has nothing else to do meanwhile). */
export function readInputFileSync(file: string, rules: InputFileRules): string {
  const target = rules.within === undefined ? file : insideSync(file, rules.within);
  let fd: number;
  try {
    fd = openSync(target, openFlags(rules));
  } catch (thrown) {
    throw openFailure(file, thrown);
  }
  try {
    checkRegular(file, fstatSync(fd));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, rules.maxBytes + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > rules.maxBytes) throw tooLarge(file, rules.maxBytes);
    }
    return decode(file, Buffer.concat(chunks));
  } catch (thrown) {
    throw thrown instanceof ConfigError ? thrown : readFailure(file, thrown);
  } finally {
    closeSync(fd);
  }
}

/** Reads a file without blocking the event loop (for the long-running processes). */
export async function readInputFile(file: string, rules: InputFileRules): Promise<string> {
  const target = rules.within === undefined ? file : await inside(file, rules.within);
  let handle;
  try {
    handle = await open(target, openFlags(rules));
  } catch (thrown) {
    throw openFailure(file, thrown);
  }
  try {
    checkRegular(file, await handle.stat());
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, rules.maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > rules.maxBytes) throw tooLarge(file, rules.maxBytes);
    }
    return decode(file, Buffer.concat(chunks));
  } catch (thrown) {
    throw thrown instanceof ConfigError ? thrown : readFailure(file, thrown);
  } finally {
    await handle.close();
  }
}

/** Inside a project the real path is opened, so its last part must not be a symlink swapped in since. */
function openFlags(rules: InputFileRules): number {
  return rules.within === undefined ? OPEN_FLAGS : OPEN_FLAGS | constants.O_NOFOLLOW;
}

function insideSync(file: string, root: string): string {
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync(file);
    realRoot = realpathSync(root);
  } catch (thrown) {
    throw openFailure(file, thrown);
  }
  return checkInside(file, real, realRoot);
}

async function inside(file: string, root: string): Promise<string> {
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(file), realpath(root)]);
  } catch (thrown) {
    throw openFailure(file, thrown);
  }
  return checkInside(file, real, realRoot);
}

function checkInside(file: string, real: string, realRoot: string): string {
  const path = relative(realRoot, real);
  if (path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) {
    throw ConfigError.single(
      file,
      '',
      'is a symlink (or lies under one) that leads outside the project directory; expected a file inside the project',
    );
  }
  return real;
}

function checkRegular(file: string, stats: Stats): void {
  if (stats.isFile()) return;
  const kind = stats.isDirectory()
    ? 'a directory'
    : stats.isFIFO()
      ? 'a FIFO (named pipe)'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'a device'
        : stats.isSocket()
          ? 'a socket'
          : 'not a regular file';
  throw ConfigError.single(file, '', `is ${kind}; expected a regular file`);
}

/** Invalid UTF-8 is refused rather than replaced, naming the first line that holds it. */
function decode(file: string, bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let line = 1;
  let start = 0;
  // A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked one by one.
  for (let end = bytes.indexOf(0x0a); ; end = bytes.indexOf(0x0a, start)) {
    if (!isUtf8(bytes.subarray(start, end === -1 ? bytes.length : end))) break;
    if (end === -1) break;
    line += 1;
    start = end + 1;
  }
  throw ConfigError.single(
    file,
    '',
    `is not valid UTF-8 (first invalid bytes on line ${line}); expected a UTF-8 text file`,
  );
}

function tooLarge(file: string, maxBytes: number): ConfigError {
  return ConfigError.single(file, '', `is larger than the ${maxBytes}-byte limit for this file`);
}

function openFailure(file: string, thrown: unknown): ConfigError {
  const code = (thrown as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return ConfigError.single(file, '', 'file not found (expected a readable file)');
  if (code === 'ELOOP')
    return ConfigError.single(
      file,
      '',
      'is a symlink where none is allowed (or a symlink loop); expected a regular file',
    );
  if (code === 'EACCES' || code === 'EPERM')
    return ConfigError.single(file, '', 'permission denied (expected a file kubedispatch may read)');
  return readFailure(file, thrown);
}

function readFailure(file: string, thrown: unknown): ConfigError {
  const code = (thrown as NodeJS.ErrnoException).code ?? (thrown as Error).name;
  return ConfigError.single(file, '', `cannot read file (${code})`);
}
