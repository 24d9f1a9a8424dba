import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';

/**
 * Jinja rendering on @huggingface/jinja, a Jinja interpreter written for untrusted templates: it
 * evaluates its own syntax tree over its own value types, and attribute access reads only the
 * interpreter's Maps, never JavaScript properties, so a template cannot reach `constructor`,
 * prototypes, `process` or `require` (test/unit/mage/jinja-templates.test.ts tries the known
 * escapes). Templates see only the functions handed in, plus `true`/`false`/`none` (any case)
 * and the library's `namespace()`.
 */
/** The library's runtime values as far as kubedispatch touches them (its typings do not resolve under NodeNext). */
export interface TemplateValue {
  type: string;
  value: unknown;
  toString(): string;
}
export type TemplateFunction = (args: TemplateValue[]) => TemplateValue;

type ValueClass<T> = new (value: T) => TemplateValue;
// The library exports no value classes; one converted value of each kind gives its class.
const probe = new Environment();
const StringValue = probe.set('string', '').constructor as ValueClass<string>;
const BooleanValue = probe.set('boolean', false).constructor as ValueClass<boolean>;
const FunctionValue = probe.set('function', () => undefined).constructor as ValueClass<TemplateFunction>;

/**
 * Python's None where Mage's functions return it: it prints as `None` (Jinja's `str(None)`), as
 * `{{ env_var('UNSET') }}` does under Mage, and is false in `if`/`or`, as None is. (The library
 * itself prints its own `none` as an empty string.)
 */
export class PythonNone extends StringValue {
  constructor() {
    super('None');
  }

  __bool__(): TemplateValue {
    return new BooleanValue(false);
  }
}

/** A function value that prints as Python prints one, never as its JavaScript source. */
class NamedFunction extends FunctionValue {
  readonly #name: string;

  constructor(name: string, fn: TemplateFunction) {
    super(fn);
    this.#name = name;
  }

  override toString(): string {
    return `<function ${this.#name}>`;
  }
}

/** A failure of the template itself (syntax or a function it called), with the 1-based line when known. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly line: number | undefined;

  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/** Raised by a template function to refuse a call; `name` lets the error point at the call's line. */
export class RefusedCall extends Error {
  override name = 'RefusedCall';
  readonly functionName: string;

  constructor(functionName: string, message: string) {
    super(message);
    this.functionName = functionName;
  }
}

/** Plain data (strings, numbers, booleans, lists, mappings) as a template value; null becomes None. */
export function toTemplateValue(value: unknown): TemplateValue {
  if (value === null || value === undefined) return new PythonNone();
  return new Environment().set('value', value) as TemplateValue;
}

export function stringValue(text: string): TemplateValue {
  return new StringValue(text);
}

/** The JavaScript value a template passed (strings stay strings; None is null). */
export function plainArgument(value: TemplateValue | undefined): unknown {
  if (
    value === undefined ||
    value instanceof PythonNone ||
    value.type === 'NullValue' ||
    value.type === 'UndefinedValue'
  )
    return null;
  return value.value;
}

const RAW_BLOCK = /\{%-?\s*raw\s*-?%\}([\s\S]*?)\{%-?\s*endraw\s*-?%\}/g;
const TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

/**
 * Renders one template as Jinja does with its default options (no trim_blocks/lstrip_blocks).
 * `{% raw %}` blocks, which the library lacks, are kept verbatim. Throws TemplateError.
 */
export function renderJinja(text: string, functions: Readonly<Record<string, TemplateFunction>>): string {
  const raw: string[] = [];
  // A raw block becomes a variable holding its text; a comment keeps its newlines so lines still match.
  const source = text.replace(RAW_BLOCK, (_whole, content: string) => {
    raw.push(content);
    const newlines = content.replace(/[^\n]/g, '');
    return `{{ __raw_${raw.length - 1}__ }}${newlines ? `{#${newlines}#}` : ''}`;
  });
  let program: ReturnType<typeof parse>;
  try {
    program = parse(tokenize(source, {}));
  } catch (thrown) {
    throw syntaxError(source, thrown);
  }
  try {
    return String(new Interpreter(environment(functions, raw)).run(program).value);
  } catch (thrown) {
    throw runtimeError(source, thrown, functions);
  }
}

function environment(functions: Readonly<Record<string, TemplateFunction>>, raw: readonly string[]): Environment {
  const env = new Environment();
  for (const [name, value] of [
    ['true', true],
    ['false', false],
    ['True', true],
    ['False', false],
  ] as const)
    env.set(name, value);
  env.setVariable('none', new PythonNone());
  env.setVariable('None', new PythonNone());
  raw.forEach((content, index) => env.setVariable(`__raw_${index}__`, new StringValue(content)));
  for (const [name, fn] of Object.entries(functions)) env.setVariable(name, new NamedFunction(name, fn));
  const namespace = env.lookupVariable('namespace') as TemplateValue;
  env.setVariable('namespace', new NamedFunction('namespace', namespace.value as TemplateFunction));
  return env;
}

/** Where a parse error is: the first tag whose prefix of the template fails other than by ending early. */
function syntaxError(source: string, thrown: unknown): TemplateError {
  const reason = describeParseError(thrown);
  for (const tag of tags(source)) {
    try {
      parse(tokenize(source.slice(0, tag.end), {}));
    } catch (prefixThrown) {
      if (!endsEarly(prefixThrown)) return new TemplateError(describeParseError(prefixThrown), tag.line);
    }
  }
  return new TemplateError(reason, endsEarly(thrown) ? lineAt(source, source.trimEnd().length) : undefined);
}

function runtimeError(
  source: string,
  thrown: unknown,
  functions: Readonly<Record<string, TemplateFunction>>,
): TemplateError {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (thrown instanceof RefusedCall) {
    const call = new RegExp(`\\b${thrown.functionName}\\s*\\(`);
    return new TemplateError(message, tags(source).find((tag) => call.test(tag.text))?.line);
  }
  // Otherwise the first expression that fails on its own, with the same functions, is the culprit.
  const failing = tags(source)
    .filter((tag) => tag.text.startsWith('{{'))
    .find((tag) => {
      try {
        new Interpreter(environment(functions, [])).run(parse(tokenize(tag.text, {})));
        return false;
      } catch {
        return !tag.text.includes('__raw_');
      }
    });
  const unknownCall = /^Cannot call something that is not a function/.test(message);
  return new TemplateError(
    unknownCall
      ? `calls a function that does not exist (${message}); the functions are: ${Object.keys(functions).join(', ')}`
      : message,
    failing?.line,
  );
}

function describeParseError(thrown: unknown): string {
  if (endsEarly(thrown))
    return 'the template ends inside a tag or an unclosed block ({% if %}, {% for %}, … without its {% end… %})';
  return `invalid Jinja syntax: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
}

/** The library reports a missing `{% endif %}` with a TypeError and an unclosed tag as "end of input". */
function endsEarly(thrown: unknown): boolean {
  return thrown instanceof TypeError || (thrown instanceof Error && /end of input/i.test(thrown.message));
}

function tags(source: string): { text: string; end: number; line: number }[] {
  return [...source.matchAll(TAG)].map((match) => ({
    text: match[0],
    end: match.index + match[0].length,
    line: lineAt(source, match.index),
  }));
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let index = source.indexOf('\n'); index !== -1 && index < offset; index = source.indexOf('\n', index + 1))
    line += 1;
  return line;
}
