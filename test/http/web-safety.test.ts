/**
 * Web safety of the HTTP API and dashboard, over real HTTP and a real Redis: cross-site requests
 * and DNS rebinding are refused (Host and Origin), writes need the JSON content type, and bodies
 * that nothing behind the API could store (invalid UTF-8, lone surrogates, out-of-range numbers,
 * unknown keys) are clear 400s, never a 500 or a run created with parts dropped.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { allowedHosts, defaultAllowedHosts, hostOfUrl, normaliseHost } from '../../src/http/allowed-hosts.ts';
import { isJsonContentType } from '../../src/http/request-guards.ts';
import { rawRequest, type RawResponse } from '../support/raw-http.ts';
import { writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'web-safety-token-0123456789abcdef01234';
const project = writeProject({ etl: { blocks: [{ uuid: 'a' }] }, other: { blocks: [{ uuid: 'b' }] } });
afterAll(() => project.remove());

const JSON_TYPE = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${TOKEN}` };

describe('web safety', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN, uiWritable: true }));

  const send = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Buffer | string,
  ): Promise<RawResponse> => rawRequest(http.server.url, method, path, headers, body);
  const createRun = (body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> =>
    send('POST', '/api/v1/pipelines/etl/runs', { ...auth, ...JSON_TYPE, ...headers }, body);
  const runCount = async (): Promise<number> => (await http.services.store.runIdsNewestFirst(0, 500)).length;

  describe('Content-Type of writes', () => {
    it('refuses a JSON body sent as text/plain with 415 and creates nothing (it used to create a run without its variables)', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/jsonx',
      ]) {
        const response = await send(
          'POST',
          '/api/v1/pipelines/etl/runs',
          { ...auth, 'content-type': type },
          '{"variables":{"day":"1"}}',
        );
        expect(response.status, type).toBe(415);
        expect(JSON.parse(response.text)).toMatchObject({ error: 'unsupported_media_type' });
      }
      expect(await runCount()).toBe(0);
    });

    it('refuses bodiless writes without the JSON content type (a cross-site page can send those without asking)', async () => {
      const created = JSON.parse((await createRun('{}')).text) as { id: number };
      expect((await send('POST', `/api/v1/runs/${created.id}/cancel`, auth)).status).toBe(415);
      expect((await http.services.store.getRunRecord(created.id))?.state).toBe('running');
      const cancelled = await send('POST', `/api/v1/runs/${created.id}/cancel`, {
        ...auth,
        'content-type': 'Application/JSON; charset="UTF-8"',
      });
      expect(cancelled.status).toBe(200);
    });

    it('takes application/json with or without charset=utf-8, nothing else', () => {
      expect(isJsonContentType('application/json')).toBe(true);
      expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
      expect(isJsonContentType('application/json;charset=UTF-8')).toBe(true);
      for (const type of [
        undefined,
        '',
        'text/json',
        'application/json; charset=utf-16',
        'application/json, text/plain',
      ])
        expect(isJsonContentType(type)).toBe(false);
    });
  });

  describe('Host and Origin', () => {
    it('refuses a foreign Host (DNS rebinding) with 403, token or not, but keeps the probes open', async () => {
      const open = await http.startAnother({ authToken: '' });
      for (const [base, headers] of [
        [http.server.url, auth],
        [open.url, {}],
      ] as const) {
        const rebound = await rawRequest(base, 'GET', '/api/v1/runs', {
          ...headers,
          host: `attacker.example:${new URL(base).port}`,
        });
        expect(rebound.status).toBe(403);
        expect(JSON.parse(rebound.text)).toMatchObject({
          error: 'forbidden_host',
          message: expect.stringContaining('KUBEDISPATCH_HTTP_ALLOWED_HOSTS') as unknown,
        });
        expect(
          (
            await rawRequest(
              base,
              'POST',
              '/api/v1/pipelines/etl/runs',
              { ...headers, ...JSON_TYPE, host: 'attacker.example' },
              '{}',
            )
          ).status,
        ).toBe(403);
        expect((await rawRequest(base, 'GET', '/ui/', { ...headers, host: 'attacker.example' })).status).toBe(403);
        expect((await rawRequest(base, 'GET', '/healthz', { host: '10.1.2.3:8080' })).status).toBe(200);
        expect((await rawRequest(base, 'GET', '/readyz', { host: '10.1.2.3:8080' })).status).toBe(200);
      }
      expect(await runCount()).toBe(0);
      for (const host of ['localhost', `localhost:${http.server.port}`, '127.0.0.1', '[::1]:1234', 'LOCALHOST.']) {
        expect((await send('GET', '/api/v1/runs', { ...auth, host })).status, host).toBe(200);
      }
    });

    it('refuses a cross-site Origin with 403, token or not; its own Origin passes', async () => {
      const open = await http.startAnother({ authToken: '' });
      const own = `http://127.0.0.1:${open.port}`;
      for (const origin of [
        'https://attacker.example',
        'null',
        `http://localhost:${open.port + 1}`,
        'file://',
        'not a url',
      ]) {
        const response = await rawRequest(
          open.url,
          'POST',
          '/api/v1/pipelines/etl/runs',
          { ...JSON_TYPE, origin },
          '{}',
        );
        expect(response.status, origin).toBe(403);
        expect(JSON.parse(response.text)).toMatchObject({ error: 'forbidden_origin' });
        expect((await rawRequest(http.server.url, 'GET', '/api/v1/runs', { ...auth, origin })).status).toBe(403);
      }
      expect(await runCount()).toBe(0);
      expect(
        (await rawRequest(open.url, 'POST', '/api/v1/pipelines/etl/runs', { ...JSON_TYPE, origin: own }, '{}')).status,
      ).toBe(201);
      // Behind a TLS-terminating proxy the page is https while the dashboard sees http: the scheme is not compared.
      expect(
        (
          await rawRequest(
            open.url,
            'POST',
            '/api/v1/pipelines/etl/runs',
            { ...JSON_TYPE, origin: `https://127.0.0.1:${open.port}` },
            '{}',
          )
        ).status,
      ).toBe(201);
      expect(
        (
          await rawRequest(
            open.url,
            'POST',
            '/api/v1/pipelines/etl/runs',
            { ...JSON_TYPE, origin: `http://localhost:${open.port}`, host: `localhost:${open.port}` },
            '{}',
          )
        ).status,
      ).toBe(201);
    });

    it('answers to the names of http.allowedHosts, also as the Origin a reverse proxy forwards', async () => {
      const settings = loadSettings({ KUBEDISPATCH_HTTP_ALLOWED_HOSTS: 'kd.example.com,Dash.Internal:8443' });
      const behindProxy = await http.startAnother({
        allowedHosts: allowedHosts(settings),
        proxiedHosts: settings.http.allowedHosts,
      });
      const proxied = await rawRequest(
        behindProxy.url,
        'POST',
        '/api/v1/pipelines/etl/runs',
        { ...auth, ...JSON_TYPE, host: 'dash.internal:8443', origin: 'https://kd.example.com' },
        '{}',
      );
      expect(proxied.status).toBe(201);
      expect(
        (await rawRequest(behindProxy.url, 'GET', '/api/v1/runs', { ...auth, host: 'kd.example.com' })).status,
      ).toBe(200);
      expect(
        (await rawRequest(behindProxy.url, 'GET', '/api/v1/runs', { ...auth, host: 'other.example.com' })).status,
      ).toBe(403);
    });

    it('builds the allow-list from the listen address, the loopback names and the setting', () => {
      const settings = loadSettings({
        KUBEDISPATCH_HTTP_HOST: '10.0.0.5',
        KUBEDISPATCH_AUTH_TOKEN: TOKEN,
        KUBEDISPATCH_HTTP_ALLOWED_HOSTS: 'kd.example.com',
      });
      expect(allowedHosts(settings)).toEqual(['10.0.0.5', 'localhost', '127.0.0.1', '[::1]', 'kd.example.com']);
      expect(allowedHosts(settings, '::1')).toEqual(['[::1]', 'localhost', '127.0.0.1', 'kd.example.com']);
      expect(defaultAllowedHosts('0.0.0.0')).toEqual(['localhost', '127.0.0.1', '[::1]']);
      expect(defaultAllowedHosts('::')).toEqual(['localhost', '127.0.0.1', '[::1]']);
      expect(hostOfUrl('http://kubedispatch.ns.svc:8080/api')).toEqual(['kubedispatch.ns.svc']);
      // Pods send Mage's status PUT to mage.callbackUrl, under its host.
      expect(allowedHosts(loadSettings({ KUBEDISPATCH_CALLBACK_URL: 'http://KD-API.ns.svc:8080' }))).toContain(
        'kd-api.ns.svc',
      );
      expect(hostOfUrl('')).toEqual([]);
      for (const bad of ['', 'a b', 'evil.com/x', 'user@evil.com']) expect(normaliseHost(bad)).toBeUndefined();
    });
  });

  describe('the dashboard UI', () => {
    it('lets Bull Board write from its own page (same Origin) and refuses writes without it or from another site', async () => {
      const basic = { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` };
      const path = '/ui/api/queues/block-runs/retry/failed';
      const ownOrigin = `http://127.0.0.1:${http.server.port}`;
      const fromPage = await send('PUT', path, { ...basic, origin: ownOrigin });
      expect(fromPage.status).toBe(200);
      expect((await send('PUT', path, basic)).status).toBe(403);
      expect((await send('PUT', path, { ...basic, origin: 'https://attacker.example' })).status).toBe(403);
      expect((await send('GET', '/ui/api/queues', basic)).status).toBe(200);
    });

    it('keeps the login cookie SameSite=Strict and HttpOnly', async () => {
      const login = await send('GET', `/ui/login?token=${TOKEN}`);
      expect(login.status).toBe(303);
      const cookie = String(login.headers['set-cookie']);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).not.toMatch(/;\s*Secure/i);
    });

    it('marks the login cookie Secure when a TLS-terminating proxy says the browser came by HTTPS', async () => {
      for (const proto of ['https', 'https, http', 'HTTPS']) {
        const login = await send('GET', `/login?token=${TOKEN}`, { 'x-forwarded-proto': proto });
        expect(login.status).toBe(303);
        expect(String(login.headers['set-cookie']), proto).toMatch(/;\s*Secure/i);
      }
      const plain = await send('GET', `/login?token=${TOKEN}`, { 'x-forwarded-proto': 'http' });
      expect(String(plain.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    });

    it('lets no other site frame a page: Bull Board and the runs pages refuse framing (clickjacking)', async () => {
      for (const path of ['/ui/', '/runs', '/runs/12']) {
        const page = await send('GET', path, auth);
        expect(page.status, path).toBe(200);
        expect(page.headers['x-frame-options'], path).toBe('DENY');
        expect(String(page.headers['content-security-policy']), path).toContain("frame-ancestors 'none'");
      }
    });
  });

  describe('bodies', () => {
    it('answers 400 for invalid UTF-8, which used to be replaced silently', async () => {
      const body = Buffer.concat([
        Buffer.from('{"variables":{"day":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}}'),
      ]);
      const response = await createRun(body);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text)).toEqual({
        error: 'bad_request',
        problems: ['body: not valid UTF-8 (JSON text must be UTF-8)'],
      });
      expect(await runCount()).toBe(0);
    });

    it('answers 400 naming the key for a lone surrogate (it used to be a 500 showing a Redis Lua error)', async () => {
      for (const [text, where] of [
        ['{"variables":{"day":"\\ud800"}}', 'body.variables.day'],
        ['{"trigger":"x\\udfff"}', 'body.trigger'],
        ['{"variables":{"\\ud83d":"1"}}', 'body.variables'],
      ]) {
        const response = await createRun(text!);
        expect(response.status, text).toBe(400);
        expect((JSON.parse(response.text) as { problems: string[] }).problems[0]).toMatch(
          new RegExp(`^${where!.replace(/\./g, '\\.')}: .*lone UTF-16 surrogate`),
        );
      }
      expect(await runCount()).toBe(0);
    });

    it('answers 400 for a number JSON cannot carry', async () => {
      const response = await createRun('{"variables":{"n":1e400}}');
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text)).toEqual({
        error: 'bad_request',
        problems: ['body.variables.n: number out of range (expected a finite number)'],
      });
    });

    it('answers 400 naming unknown keys instead of dropping them', async () => {
      const response = await createRun('{"trigger":"api","varaibles":{"day":"1"},"extra":1}');
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text)).toEqual({
        error: 'bad_request',
        problems: [
          'body.varaibles: unknown key (expected trigger, variables)',
          'body.extra: unknown key (expected trigger, variables)',
        ],
      });
      expect(await runCount()).toBe(0);
    });

    it('answers 400 for invalid JSON without quoting the body', async () => {
      const response = await createRun('{"variables":{"secret":"hunter2"');
      expect(response.status).toBe(400);
      expect(response.text).not.toContain('hunter2');
    });
  });

  describe('Idempotency-Key', () => {
    it('answers 422 when a key comes back with another pipeline or another body, and the first run otherwise', async () => {
      const first = await createRun('{"trigger":"api","variables":{"day":"1","n":2}}', { 'idempotency-key': 'k-1' });
      expect(first.status).toBe(201);
      const { id } = JSON.parse(first.text) as { id: number };
      const same = await createRun('{"variables":{"n":2,"day":"1"},"trigger":"api"}', { 'idempotency-key': 'k-1' });
      expect(same.status).toBe(201);
      expect((JSON.parse(same.text) as { id: number }).id).toBe(id);

      const otherBody = await createRun('{"trigger":"api","variables":{"day":"2","n":2}}', {
        'idempotency-key': 'k-1',
      });
      expect(otherBody.status).toBe(422);
      expect(JSON.parse(otherBody.text)).toMatchObject({
        error: 'idempotency_key_reused',
        message: expect.stringContaining(`run ${id}`) as unknown,
      });
      const otherPipeline = await send(
        'POST',
        '/api/v1/pipelines/other/runs',
        { ...auth, ...JSON_TYPE, 'idempotency-key': 'k-1' },
        '{"trigger":"api","variables":{"day":"1","n":2}}',
      );
      expect(otherPipeline.status).toBe(422);
      expect(await http.services.store.runIdsNewestFirst(0, 10)).toEqual([id]);
    });
  });

  describe('errors', () => {
    it('answers a malformed token cookie with 401, not 500', async () => {
      for (const cookie of ['kubedispatch_token=%zz', 'kubedispatch_token=%E0%A4%A']) {
        expect((await send('GET', '/api/v1/runs', { cookie })).status).toBe(401);
        expect((await send('GET', '/ui/', { cookie })).status).toBe(401);
      }
    });

    it('answers unknown paths and undecodable paths with JSON 4xx, never a stack trace', async () => {
      const unknown = await send('GET', '/nope', auth);
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.text)).toMatchObject({ error: 'not_found' });
      const undecodable = await send('POST', '/api/v1/pipelines/%ED%A0%80/runs', { ...auth, ...JSON_TYPE }, '{}');
      expect(undecodable.status).toBeGreaterThanOrEqual(400);
      expect(undecodable.status).toBeLessThan(500);
      expect(undecodable.text).not.toMatch(/\s+at /);
    });
  });

  it('property: no body, content type or header a client sends gets a 5xx, a stack trace, or a run it did not ask for', async () => {
    const contentTypes = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
      'application/json; charset=latin1',
    );
    const jsonText = fc.oneof(
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ trigger: 'api', variables: value })),
      fc
        .dictionary(
          fc.string({ unit: 'binary', maxLength: 8 }),
          fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.boolean(), fc.constant(null)),
        )
        .map((variables) => JSON.stringify({ variables })),
      fc.string({ unit: 'binary', maxLength: 40 }).map((text) => `{"trigger":${JSON.stringify(text)}}`),
      fc.constantFrom(
        '{"variables":{"n":1e400}}',
        '{"trigger":"\\ud800"}',
        '{"a":1}',
        '[',
        '{"variables":[1]}',
        '-1e999',
      ),
    );
    const bytes = fc.oneof(
      jsonText.map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array)),
      fc.tuple(jsonText, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([text, at, byte]) => {
        const buffer = Buffer.from(text);
        if (buffer.length > 0) buffer[at % buffer.length] = byte;
        return buffer;
      }),
    );
    const paths = fc.constantFrom(
      '/api/v1/pipelines/etl/runs',
      '/api/v1/pipelines/nope/runs',
      '/api/v1/runs/1/cancel',
      '/api/v1/pipelines/%ED%A0%80/runs',
      '/api/v1/runs/%F0%9F%98%80/cancel',
    );
    const valid = [auth, { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }];
    const credentials = fc.constantFrom<Record<string, string>>(
      ...valid,
      valid[0]!,
      valid[0]!,
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic ###' },
      { cookie: 'kubedispatch_token=%zz' },
      { authorization: `Bearer ${TOKEN}x` },
    );
    const idempotencyKeys = fc.option(fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 210 }), {
      nil: undefined,
    });
    await fc.assert(
      fc.asyncProperty(
        paths,
        contentTypes,
        bytes,
        idempotencyKeys,
        credentials,
        async (path, type, body, key, credential) => {
          const before = await runCount();
          const headers: Record<string, string> = {
            ...credential,
            ...(type ? { 'content-type': type } : {}),
            ...(key === undefined ? {} : { 'idempotency-key': key }),
          };
          const response = await send('POST', path, headers, body);
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(500);
          expect(response.text).not.toMatch(/\n\s+at /);
          expect(() => JSON.parse(response.text) as unknown).not.toThrow();
          if (response.status === 201) {
            // Only a well-formed JSON request can create a run, and only for the pipeline it names.
            expect(isJsonContentType(type)).toBe(true);
            expect(valid).toContainEqual(credential);
            expect(path).toBe('/api/v1/pipelines/etl/runs');
            if (body.length > 0) JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
          } else if (response.status !== 200) {
            expect(await runCount()).toBe(before);
          }
        },
      ),
      { seed: 20261207, numRuns: 120, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);
});
