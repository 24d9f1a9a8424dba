import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classifyApiError, parseRetryAfter, type ApiErrorClass } from '../../src/k8s/api-error.ts';
import { backoffDelayMs, retryTransient } from '../../src/k8s/api-retry.ts';

function apiException(code: number, reason: string, message: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  return new ApiException(code, `HTTP-Code: ${code}`, body, headers);
}

function networkError(code: string, message = 'fetch failed') {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return new TypeError(message, { cause });
}

const table: { name: string; thrown: unknown; expected: ApiErrorClass; retryAfterMs?: number; message?: RegExp }[] = [
  {
    name: '429 with Retry-After',
    thrown: apiException(429, 'TooManyRequests', 'too many requests', { 'retry-after': '3' }),
    expected: 'transient',
    retryAfterMs: 3000,
  },
  {
    name: '500 internal error',
    thrown: apiException(500, 'InternalError', 'Internal error occurred'),
    expected: 'transient',
  },
  {
    name: '503 unavailable',
    thrown: apiException(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
    expected: 'transient',
  },
  { name: '504 timeout', thrown: apiException(504, 'Timeout', 'request did not complete'), expected: 'transient' },
  {
    name: '403 exceeded quota',
    thrown: apiException(403, 'Forbidden', 'jobs "x" is forbidden: exceeded quota: compute, requested: cpu=1'),
    expected: 'transient',
  },
  {
    name: 'etcd leader change',
    thrown: apiException(500, 'InternalError', 'etcdserver: leader changed'),
    expected: 'transient',
  },
  {
    name: 'etcd request timed out under a 400',
    thrown: apiException(400, 'BadRequest', 'etcdserver: request timed out'),
    expected: 'transient',
  },
  {
    name: 'client timeout',
    thrown: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    expected: 'transient',
  },
  { name: 'ECONNRESET', thrown: networkError('ECONNRESET'), expected: 'transient' },
  { name: 'ECONNREFUSED', thrown: networkError('ECONNREFUSED'), expected: 'transient' },
  { name: 'undici socket closed', thrown: networkError('UND_ERR_SOCKET'), expected: 'transient' },
  { name: 'socket hang up', thrown: new Error('socket hang up'), expected: 'transient' },
  {
    name: '400 bad request',
    thrown: apiException(400, 'BadRequest', 'json: cannot unmarshal string'),
    expected: 'permanent',
    message: /cannot unmarshal string \(HTTP 400 BadRequest\)/,
  },
  {
    name: '403 RBAC',
    thrown: apiException(403, 'Forbidden', 'jobs.batch is forbidden: User "x" cannot create resource "jobs"'),
    expected: 'permanent',
    message: /cannot create resource/,
  },
  {
    name: '404 namespace',
    thrown: apiException(404, 'NotFound', 'namespaces "nope" not found'),
    expected: 'permanent',
    message: /namespaces "nope" not found/,
  },
  {
    name: '422 invalid',
    thrown: apiException(422, 'Invalid', 'Job.batch "BAD" is invalid: metadata.name: Invalid value'),
    expected: 'permanent',
    message: /is invalid: metadata.name/,
  },
  {
    name: '409 already exists',
    thrown: apiException(409, 'AlreadyExists', 'jobs.batch "x" already exists'),
    expected: 'conflict',
  },
  { name: 'TLS certificate problem', thrown: networkError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), expected: 'permanent' },
];

describe('classifyApiError', () => {
  for (const row of table) {
    it(`${row.name} → ${row.expected}`, () => {
      const error = classifyApiError(row.thrown, 'create Job ns/x');
      expect(error.code).toBe(row.expected);
      expect(error.message.startsWith('create Job ns/x: ')).toBe(true);
      expect(error.cause).toBeDefined();
      if (row.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(row.retryAfterMs);
      if (row.message) expect(error.message).toMatch(row.message);
    });
  }

  it('reads the retry delay from the Status details when the header is missing', () => {
    const body = JSON.stringify({ reason: 'TooManyRequests', message: 'slow down', details: { retryAfterSeconds: 2 } });
    expect(classifyApiError(new ApiException(429, '', body, {}), 'op').retryAfterMs).toBe(2000);
  });

  it('keeps a body that is not a Status as the message', () => {
    const error = classifyApiError(new ApiException(502, '', '<html>bad gateway</html>', {}), 'op');
    expect(error).toMatchObject({ code: 'transient', status: 502, message: 'op: <html>bad gateway</html> (HTTP 502)' });
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('retryTransient', () => {
  const policy = { baseMs: 1, maxMs: 4, deadlineMs: 1000 };

  it('retries transient errors and returns the first success', async () => {
    let calls = 0;
    const result = await retryTransient(
      'op',
      async () => {
        calls += 1;
        if (calls < 3) throw networkError('ECONNRESET');
        return 'ok';
      },
      policy,
    );
    expect({ result, calls }).toEqual({ result: 'ok', calls: 3 });
  });

  it('throws permanent errors and conflicts at once', async () => {
    let calls = 0;
    const call = async () => {
      calls += 1;
      throw apiException(422, 'Invalid', 'bad');
    };
    await expect(retryTransient('op', call, policy)).rejects.toMatchObject({ code: 'permanent' });
    expect(calls).toBe(1);
  });

  it('gives up at the deadline with the last error in the message', async () => {
    let now = 0;
    const call = async () => {
      now += 600;
      throw apiException(503, 'ServiceUnavailable', 'apiserver down');
    };
    await expect(
      retryTransient('op', call, { baseMs: 1, maxMs: 1, deadlineMs: 1000 }, { now: () => now }),
    ).rejects.toThrow(/apiserver down.*gave up after 2 tries/);
  });

  it('draws full-jitter delays capped at maxMs', () => {
    const p = { baseMs: 100, maxMs: 1000, deadlineMs: 0 };
    expect(backoffDelayMs(p, 1, () => 0.999)).toBe(99);
    expect(backoffDelayMs(p, 3, () => 0.5)).toBe(200);
    expect(backoffDelayMs(p, 20, () => 0.999)).toBe(999);
    expect(backoffDelayMs(p, 20, () => 0)).toBe(0);
  });
});
