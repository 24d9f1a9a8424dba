#!/usr/bin/env node
// The screenshots of the runs web view in docs/images/, taken from `kubedispatch demo --keep` on the
// simulated cluster in headless Chromium at a fixed viewport. Run by hand after changing the pages:
//   node scripts/screenshots.mjs          (KUBEDISPATCH_CHROMIUM names another Chromium)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/browser/chromium.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGES = join(ROOT, 'docs/images');
const VIEWPORT = { width: 1280, height: 800 };

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

/** Resolves with the first match of `pattern` in the demo's output; fails if it exits first. */
function untilPrinted(child, output, pattern) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output.text);
      if (match) {
        child.stdout.off('data', check);
        resolve(match);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) =>
      reject(new Error(`the demo exited (${code}) before printing ${pattern}:\n${output.text}`)),
    );
    check();
  });
}

async function createRun(base, trigger) {
  const response = await fetch(`${base}/api/v1/pipelines/demo_etl/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ trigger }),
  });
  if (response.status !== 201) throw new Error(`creating a run answered ${response.status}: ${await response.text()}`);
  return (await response.json()).id;
}

const port = await freePort();
const env = { ...process.env };
delete env.REDIS_URL;
delete env.KUBEDISPATCH_AUTH_TOKEN;
const demo = spawn(process.execPath, ['src/cli/main.ts', 'demo', '--keep', '--port', String(port)], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const output = { text: '' };
demo.stdout.on('data', (chunk) => {
  output.text += chunk.toString();
});
const browser = await launchChromium();
try {
  const [, base, runPath] = await untilPrinted(demo, output, /created: (http:\/\/[^/\s]+)(\/runs\/\d+)/);
  await untilPrinted(demo, output, /still running for exploration/);
  mkdirSync(IMAGES, { recursive: true });
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });

  // The list with a finished run and newer ones still going.
  await createRun(base, 'nightly');
  const newest = await createRun(base, 'api');
  await page.goto(`${base}/runs`);
  await page.locator(`tr[data-run="${newest}"]`).waitFor();
  await page.locator('#live', { hasText: 'Live:' }).waitFor();
  await page.locator(`tr[data-run="${newest}"]`, { hasText: 'running' }).waitFor();
  // Three runs fill the top of the page; the rest would be white.
  await page.screenshot({
    path: join(IMAGES, 'runs-page.png'),
    clip: { x: 0, y: 0, width: VIEWPORT.width, height: 360 },
  });

  // A run going on: blocks done, running and waiting for their upstream.
  await page.goto(`${base}/runs/${newest}`);
  await page.locator('#live', { hasText: 'Live:' }).waitFor();
  await page.locator('[data-block="load_orders"] .node-state', { hasText: 'succeeded' }).waitFor();
  await page.locator('[data-block="clean_orders"] .node-state', { hasText: 'running' }).waitFor();
  await page.screenshot({ path: join(IMAGES, 'run-page.png') });

  // The demo's finished run, with the details of the block that hit its deadline.
  await page.goto(`${base}${runPath}`);
  await page.locator('#live', { hasText: 'Live:' }).waitFor();
  await page.locator('#dag [data-block="slow_report"]').click();
  await page.locator('#block-details h2', { hasText: 'slow_report' }).waitFor();
  await page.locator('.dag-and-details').screenshot({ path: join(IMAGES, 'block-details.png') });
  console.log(`screenshots written to ${IMAGES}`);
} finally {
  await browser.close();
  demo.kill('SIGINT');
  if (demo.exitCode === null) await once(demo, 'exit');
}
