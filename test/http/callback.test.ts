import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AttemptSecrets } from '../../src/callback/attempt-secrets.ts';
import { callbackId, callbackUrl } from '../../src/callback/callback-url.ts';
import type { AttemptKey } from '../../src/runs/types.ts';
import { testRedis } from '../support/redis.ts';
import { testServices, writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const project = writeProject({ etl: { blocks: [{ uuid: 'a' }] } });
afterAll(() => project.remove());

const attempt: AttemptKey = { blockRunId: 41, attempt: 2 };

describe("callback endpoint (Mage's block status PUT)", () => {
  let logged = '';
  // The API requires a token; the callback must not.
  const http = useHttpServer(project.dir, () => {
    logged = '';
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logged += chunk.toString();
        done();
      },
    });
    return { authToken: 'api-token-0123456789abcdef0123456789', logger: pino({ level: 'debug' }, sink) };
  });
  let secrets: AttemptSecrets;
  beforeEach(() => {
    secrets = new AttemptSecrets(http.services.redis, http.services.store.keys);
  });

  /** As Mage's BlockExecutor sends it: requests.put(url, data=json.dumps(...), headers={'Content-Type': 'application/json'}). */
  function put(url: string, body: unknown, contentType = 'application/json'): Promise<Response> {
    return fetch(url, {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
  const status = (value: string) => ({ block_run: { status: value } });

  it('records the status with the right secret, and needs no auth token', async () => {
    const url = callbackUrl(http.server.url, attempt, await secrets.secretFor(attempt));
    // Mage reads the last segment as a block run id: a large integer no Mage database holds.
    const last = BigInt(url.split('/').at(-1)!);
    expect(last).toBe(2n ** 62n + 41n);
    expect(last < 2n ** 63n).toBe(true);
    const response = await put(url, status('condition_failed'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ block_run: { status: 'condition_failed' } });
    expect(await http.services.store.getReport(attempt)).toMatchObject({ status: 'condition_failed' });
    // Other attempts of the same block run have their own secret and nothing recorded.
    expect(await http.services.store.getReport({ ...attempt, attempt: 1 })).toBeUndefined();
  });

  it('keeps error_details of a failure, answers a repeat alike and refuses a contradicting one', async () => {
    const url = callbackUrl(http.server.url, attempt, await secrets.secretFor(attempt));
    expect((await put(url, { block_run: { status: 'failed', error_details: { error: 'boom' } } })).status).toBe(200);
    expect((await put(url, status('failed'))).status).toBe(200);
    expect((await put(url, status('completed'))).status).toBe(409);
    expect(await http.services.store.getReport(attempt)).toMatchObject({
      status: 'failed',
      errorDetails: { error: 'boom' },
    });
  });

  it('refuses a wrong secret, a wrong id and malformed paths, recording nothing and logging no secret', async () => {
    const secret = await secrets.secretFor(attempt);
    const other = await secrets.secretFor({ ...attempt, attempt: 1 });
    const base = `${http.server.url}/mage-callback`;
    const cases: [string, number][] = [
      [callbackUrl(http.server.url, attempt, other), 403],
      // The last character changed (to 1 when it is 0), so never the right secret by chance.
      [callbackUrl(http.server.url, attempt, `${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`), 403],
      [callbackUrl(http.server.url, attempt, ''), 404],
      [`${base}/41/2/${secret}/api/block_runs/41`, 404],
      [`${base}/41/2/${secret}/api/block_runs/${callbackId(42)}`, 404],
      [`${base}/0/2/${secret}/api/block_runs/${callbackId(0)}`, 404],
      [`${base}/41/x/${secret}/api/block_runs/${callbackId(41)}`, 404],
    ];
    for (const [url, expected] of cases) expect((await put(url, status('completed'))).status, url).toBe(expected);
    expect(await http.services.store.getReport(attempt)).toBeUndefined();
    expect(logged).toContain('wrong secret');
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain(other);
  });

  it('refuses a bad body with 4xx, recording nothing', async () => {
    const url = callbackUrl(http.server.url, attempt, await secrets.secretFor(attempt));
    for (const body of [
      {},
      { block_run: {} },
      { block_run: { status: 'running' } },
      { block_run: { status: 3 } },
      { status: 'completed' },
      [status('completed')],
      'null',
      '{"block_run":',
    ]) {
      const response = await put(url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    // Not JSON: refused as every write without the JSON content type is.
    expect((await put(url, 'status=completed', 'application/x-www-form-urlencoded')).status).toBe(415);
    // What Redis' Lua JSON cannot store is a 400 before anything is recorded (it used to be a 500).
    expect((await put(url, '{"block_run":{"status":"completed","error_details":"\\ud800"}}')).status).toBe(400);
    expect(await http.services.store.getReport(attempt)).toBeUndefined();
    expect(logged).not.toContain(await secrets.secretFor(attempt));
  });

  it('only PUT is served there, and other routes still need the token', async () => {
    const url = callbackUrl(http.server.url, attempt, await secrets.secretFor(attempt));
    expect(
      (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(status('completed')),
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${http.server.url}/api/v1/runs`)).status).toBe(401);
    expect(await http.services.store.getReport(attempt)).toBeUndefined();
  });

  it('one installation key: another process derives the same secrets, another prefix does not', async () => {
    const again = new AttemptSecrets(http.services.redis, http.services.store.keys);
    expect(await again.secretFor(attempt)).toBe(await secrets.secretFor(attempt));
    const elsewhere = testRedis();
    try {
      const otherInstallation = new AttemptSecrets(elsewhere.redis, testServices(elsewhere).store.keys);
      expect(await otherInstallation.secretFor(attempt)).not.toBe(await secrets.secretFor(attempt));
      expect(await secrets.secretFor(attempt)).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await elsewhere.cleanup();
    }
  });
});
