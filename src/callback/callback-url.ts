import type { AttemptKey } from '../runs/types.ts';

/**
 * The `--callback-url` kubedispatch gives Mage, one per attempt:
 * `<base>/mage-callback/<blockRunId>/<attempt>/<secret>/api/block_runs/<callbackId>`.
 *
 * Mage takes `int(last path segment)` as a block run id and looks it up in its own database
 * first; only when that raises or finds nothing does it PUT to the URL. So the last segment is
 * far beyond any id a Mage database hands out (2^62 + block run id: still a valid signed 64-bit
 * integer, out of range for a 32-bit column), and the attempt travels in the earlier segments.
 * Mage sends no credentials, so the secret segment is what authenticates the PUT.
 */

/** Route of the endpoint, as Express writes it (src/http/callback-router.ts serves it). */
export const CALLBACK_ROUTE = '/mage-callback/:blockRunId/:attempt/:secret/api/block_runs/:callbackId';

const CALLBACK_ID_BASE = 2n ** 62n;

/** The integer Mage reads from the URL for this block run: never a row of a Mage database. */
export function callbackId(blockRunId: number): string {
  return (CALLBACK_ID_BASE + BigInt(blockRunId)).toString();
}

/** The callback URL of one attempt; `base` is the setting `mage.callbackUrl`. */
export function callbackUrl(base: string, key: AttemptKey, secret: string): string {
  return `${base.replace(/\/+$/, '')}/mage-callback/${key.blockRunId}/${key.attempt}/${secret}/api/block_runs/${callbackId(key.blockRunId)}`;
}

const POSITIVE_INT = /^[1-9]\d{0,15}$/;

/** The attempt a callback path names, when its segments are well-formed and its callback id fits the block run. */
export function attemptFromPath(params: {
  blockRunId?: string;
  attempt?: string;
  callbackId?: string;
}): AttemptKey | undefined {
  const { blockRunId, attempt, callbackId: id } = params;
  if (!blockRunId || !attempt || !id || !POSITIVE_INT.test(blockRunId) || !POSITIVE_INT.test(attempt)) return undefined;
  const key = { blockRunId: Number(blockRunId), attempt: Number(attempt) };
  if (!Number.isSafeInteger(key.blockRunId) || !Number.isSafeInteger(key.attempt)) return undefined;
  return id === callbackId(key.blockRunId) ? key : undefined;
}
