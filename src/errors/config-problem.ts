/**
 * A problem found in a user's input: which file, where in it, and what was expected. Validation
 * collects every problem instead of stopping at the first, so users fix them all in one go.
 */
export interface ConfigProblem {
  severity: 'error' | 'warning';
  file: string;
  /** Dotted path of the key inside the file (`blocks[2].executor_config.pod.volumes`), or '' for the whole file. */
  keyPath: string;
  message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.keyPath ? `${problem.file}: ${problem.keyPath}` : problem.file;
  return `${problem.severity}: ${where}: ${problem.message}`;
}

/** Thrown when input is invalid; carries every problem found, errors and warnings alike. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(errors.map(formatProblem).join('\n') || 'invalid configuration');
    this.problems = problems;
  }

  static single(file: string, keyPath: string, message: string): ConfigError {
    return new ConfigError([{ severity: 'error', file, keyPath, message }]);
  }
}

/** Collects problems while walking input; `throwIfErrors` turns them into one ConfigError. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];

  error(file: string, keyPath: string, message: string): void {
    this.items.push({ severity: 'error', file, keyPath, message });
  }

  warning(file: string, keyPath: string, message: string): void {
    this.items.push({ severity: 'warning', file, keyPath, message });
  }

  addAll(problems: readonly ConfigProblem[]): void {
    this.items.push(...problems);
  }

  get hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }

  throwIfErrors(): void {
    if (this.hasErrors) throw new ConfigError(this.items);
  }
}
