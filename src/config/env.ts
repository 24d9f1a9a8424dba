/**
 * The one place that reads the process environment. Everything else receives an `Env` explicitly,
 * so configuration resolution stays a pure function of its inputs and tests need no global state.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function processEnv(): Env {
  return Object.freeze({ ...process.env });
}
