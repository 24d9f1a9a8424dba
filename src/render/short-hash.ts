import { createHash } from 'node:crypto';

/** Eight hex characters of SHA-256: enough to keep shortened names apart, stable across processes. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
