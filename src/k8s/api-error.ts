import { ApiException } from '@kubernetes/client-node';
import { toError } from '../errors/to-error.ts';

/**
 * What to do about a failed Kubernetes API call:
 * - `transient`: try again later (429, 5xx, quota, etcd hiccups, timeouts, dropped connections);
 * - `permanent`: trying again cannot help (bad request, RBAC, missing namespace, invalid object);
 * - `conflict`: the object already exists or changed meanwhile (409); the caller reconciles.
 */
export type ApiErrorClass = 'transient' | 'permanent' | 'conflict';

export interface ApiErrorDetails {
  /** HTTP status, when the API answered at all. */
  status?: number;
  /** `reason` of the API's Status (`AlreadyExists`, `Forbidden`, `Invalid`…) or the network error code. */
  reason?: string;
  /** How long the API asked us to wait (429/503 `Retry-After`). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly code: ApiErrorClass;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ApiErrorClass, message: string, details: ApiErrorDetails = {}) {
    super(message, { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Messages of etcd and apiserver hiccups that pass once the control plane settles. */
const TRANSIENT_MESSAGES = [
  /etcdserver: (leader changed|request timed out|too many requests|no leader)/i,
  /exceeded quota/i,
  /the server is currently unable to handle the request/i,
  /TLS handshake timeout/i,
  /socket hang up/i,
];

/** Network error codes (Node and undici) after which the request may simply be sent again. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { retryAfterSeconds?: number };
}

/** The API's Status object; client-node 2 hands it over as a JSON string. */
function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : { message: body };
    } catch {
      return body.trim() ? { message: body.trim().slice(0, 500) } : {};
    }
  }
  return typeof body === 'object' && body !== null ? (body as StatusBody) : {};
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function classOfStatus(status: number, message: string): ApiErrorClass {
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return 'transient';
  if (status === 409) return 'conflict';
  if (status === 429 || status === 408 || status >= 500) return 'transient';
  return 'permanent';
}

function fromApiException(error: ApiException<unknown>, operation: string): KubeApiError {
  const status = parseStatus(error.body);
  const message = status.message || `HTTP ${error.code}`;
  const headerRetry = parseRetryAfter(error.headers?.['retry-after']);
  const bodyRetry = status.details?.retryAfterSeconds;
  const retryAfterMs = headerRetry ?? (bodyRetry !== undefined ? bodyRetry * 1000 : undefined);
  const label = status.reason ? `${error.code} ${status.reason}` : `${error.code}`;
  return new KubeApiError(classOfStatus(error.code, message), `${operation}: ${message} (HTTP ${label})`, {
    status: error.code,
    reason: status.reason,
    retryAfterMs,
    cause: error,
  });
}

/** The first network error code along the cause chain (undici wraps them in `fetch failed`). */
function networkCode(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function describeChain(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (!parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ');
}

/**
 * The one classifier of Kubernetes API failures, used by every component that calls the API.
 * `operation` names the call for the message (`create Job ns/name`).
 */
export function classifyApiError(thrown: unknown, operation: string): KubeApiError {
  if (thrown instanceof KubeApiError) return thrown;
  if (thrown instanceof ApiException) return fromApiException(thrown, operation);
  const error = toError(thrown);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new KubeApiError('transient', `${operation}: request timed out`, { reason: 'Timeout', cause: error });
  }
  const code = networkCode(error);
  const text = describeChain(error);
  const transient =
    (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) ||
    TRANSIENT_MESSAGES.some((pattern) => pattern.test(text));
  return new KubeApiError(transient ? 'transient' : 'permanent', `${operation}: ${text}`, {
    reason: code,
    cause: error,
  });
}
