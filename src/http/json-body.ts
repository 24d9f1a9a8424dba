import express, { type RequestHandler } from 'express';

/** Largest body the API reads; a run request is a few kilobytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Deeper nesting is no run request; the limit also keeps the checks below from running out of stack. */
const MAX_DEPTH = 64;

const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function badBody(problem: string): { status: number; problem: string } {
  return { status: 400, problem };
}

/**
 * The first problem of a parsed JSON value that nothing behind the API can store faithfully: a
 * lone surrogate (Redis' Lua JSON refuses it), a number JSON cannot carry (`1e400` parses to
 * Infinity), nesting deeper than `MAX_DEPTH`. Walks without recursion.
 */
export function jsonValueProblem(value: unknown): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: 'body', depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    if (typeof current === 'string' && !current.isWellFormed())
      return `${path}: contains a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair); expected well-formed Unicode text`;
    if (typeof current === 'number' && !Number.isFinite(current))
      return `${path}: number out of range (expected a finite number)`;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const child = `${path}.${key.length > 100 ? `${key.slice(0, 100)}…` : key}`;
      if (!key.isWellFormed())
        return `${path}: a key contains a lone UTF-16 surrogate; expected well-formed Unicode text`;
      pending.push({ value: item, path: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Parses a body's bytes; the problem names what is wrong and where, never quoting the body. */
export function parseJsonBody(bytes: Buffer): { value: unknown } | { status: number; problem: string } {
  if (bytes.length === 0) return { value: undefined };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return badBody('body: not valid UTF-8 (JSON text must be UTF-8)');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    const position = /position (\d+)/.exec((thrown as Error).message)?.[1];
    return badBody(`body: not valid JSON${position === undefined ? '' : ` (at character ${position})`}`);
  }
  const problem = jsonValueProblem(value);
  return problem === undefined ? { value } : badBody(problem);
}

/**
 * Reads a JSON body into `request.body` (undefined without one). Unlike express.json it refuses
 * invalid UTF-8 instead of replacing it, and lone surrogates and out-of-range numbers instead of
 * passing them on. Put `jsonWritesOnly` before it: the content type is checked there.
 */
export function jsonBody(): RequestHandler[] {
  return [
    readRaw,
    (request, response, next) => {
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const parsed = parseJsonBody(bytes);
      if ('problem' in parsed)
        return void response.status(parsed.status).json({ error: 'bad_request', problems: [parsed.problem] });
      request.body = parsed.value;
      next();
    },
  ];
}
