import { afterAll, describe, expect, it } from 'vitest';
import { RUNS_PAGE_PATH, runPagePath } from '../../src/http/web-paths.ts';
import { writeProject } from '../scheduler/support.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'pages-token-0123456789abcdef0123456789';
const project = writeProject({ etl: { blocks: [{ uuid: 'a' }] } });
afterAll(() => project.remove());

const basic = { authorization: `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}` };

describe('the runs pages over HTTP', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN }));
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${http.server.url}${path}`, { headers, redirect: 'manual' });

  it('serves the shells with a strict CSP, the paths filled in and no token, behind the Basic challenge', async () => {
    for (const path of [RUNS_PAGE_PATH, runPagePath(12)]) {
      const refused = await get(path);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="kubedispatch", charset="UTF-8"');
      const page = await get(path, basic);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await page.text();
      expect(html).not.toContain('{{');
      expect(html).not.toContain(TOKEN);
      expect(html).toContain(`data-runs-path="${RUNS_PAGE_PATH}"`);
      expect(html).toContain('data-api-path="/api/v1"');
      // No inline script: every <script> names its source.
      expect(html.match(/<script\b[^>]*>/g)?.every((tag) => /\ssrc="[^"]+"/.test(tag))).toBe(true);
    }
    expect(await (await get(runPagePath(12), basic)).text()).toContain('data-run-id="12"');
  });

  it('serves every asset the shells name with its content type, and nothing else', async () => {
    const html = (await (await get(runPagePath(3), basic)).text()) + (await (await get(RUNS_PAGE_PATH, basic)).text());
    const assets = [...html.matchAll(/(?:src|href)="(\/runs\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(new Set(assets).size).toBe(4);
    const expected: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      svg: 'image/svg+xml; charset=utf-8',
    };
    for (const asset of assets) {
      const response = await get(asset, basic);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type')).toBe(expected[asset.split('.').pop()!]);
    }
    // The modules the page scripts import are served too.
    for (const module of ['shared.js', 'dag-layout.js', 'dag-view.js', 'block-details.js'])
      expect((await get(`${RUNS_PAGE_PATH}/assets/${module}`, basic)).status).toBe(200);
    for (const path of ['/assets/tsconfig.json', '/assets/run.html', '/assets/..%2Fauth.ts', '/abc', '/0', '/12/x'])
      expect((await get(`${RUNS_PAGE_PATH}${path}`, basic)).status, path).toBe(404);
  });

  it('takes only run ids the pages read exactly (safe integers): a larger one is no run, never a neighbour', async () => {
    const largest = String(Number.MAX_SAFE_INTEGER);
    expect(await (await get(`${RUNS_PAGE_PATH}/${largest}`, basic)).text()).toContain(`data-run-id="${largest}"`);
    for (const id of ['9007199254740993', '9999999999999999', '12345678901234567890']) {
      expect((await get(`${RUNS_PAGE_PATH}/${id}`, basic)).status, id).toBe(404);
      expect((await get(`/api/v1/runs/${id}`, basic)).status, id).toBe(404);
      const listing = await get(`/api/v1/runs?before=${id}`, basic);
      expect(listing.status, id).toBe(400);
      expect(JSON.stringify(await listing.json())).toContain(`before: expected a run id`);
    }
  });

  it('logs out by POST /logout from the page: the cookie is cleared for /, and the logged-out page says what stays', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${http.server.url}/logout`, { method: 'POST', headers, redirect: 'manual' });
    const page = await (await get(RUNS_PAGE_PATH, basic)).text();
    expect(page).toMatch(/<form class="logout" method="post" action="\/logout">/);

    const out = await post({ origin: http.server.url, cookie: `kubedispatch_token=${TOKEN}` });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/logged-out');
    const cleared = out.headers.get('set-cookie') ?? '';
    expect(cleared).toMatch(/^kubedispatch_token=;/);
    expect(cleared).toContain('Path=/;');
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(cleared).toContain('HttpOnly');
    // Another site's page, or a request without the Origin a browser sends with a form, is refused.
    expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({})).status).toBe(403);

    const loggedOut = await get('/logged-out');
    expect(loggedOut.status).toBe(200);
    expect(loggedOut.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await loggedOut.text();
    expect(text).toContain('You are logged out');
    expect(text).toContain('cannot make it forget');
    expect(text).not.toContain(TOKEN);
  });

  it('sends / to the runs page and logs in by /login, with a cookie for the whole dashboard', async () => {
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe(RUNS_PAGE_PATH);
    expect((await get('/login?token=wrong')).status).toBe(401);
    for (const [path, landing] of [
      [`/login?token=${TOKEN}`, RUNS_PAGE_PATH],
      [`/ui/login?token=${TOKEN}`, '/ui/'],
    ] as const) {
      const login = await get(path);
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe(landing);
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/; Path=\/;/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const sent = { cookie: cookie.split(';')[0]! };
      expect((await get(runPagePath(1), sent)).status).toBe(200);
      expect((await get('/api/v1/runs', sent)).status).toBe(200);
      expect((await get('/ui/', sent)).status).toBe(200);
    }
  });

  it("answers the pages' own API calls without a token with the Basic challenge, scripts with Bearer", async () => {
    const fromPage = await get('/api/v1/runs', { 'sec-fetch-site': 'same-origin' });
    expect(fromPage.status).toBe(401);
    expect(fromPage.headers.get('www-authenticate')).toMatch(/^Basic realm="kubedispatch"/);
    for (const headers of [{}, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'none' }] as Record<
      string,
      string
    >[]) {
      const response = await get('/api/v1/runs', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await get('/api/v1/runs', basic)).status).toBe(200);
  });
});
