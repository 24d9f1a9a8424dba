import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout stays free for command output such as rendered Jobs).
 * Env values and tokens are redacted wherever they appear under the usual paths.
 */
export function createLogger(level: string, name: string): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          '*.env[*].value',
          '*.token',
          '*.authToken',
          '*.password',
          'headers.authorization',
          '*.headers.authorization',
          'redisUrl',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}
