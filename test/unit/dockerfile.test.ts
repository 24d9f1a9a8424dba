/**
 * What can be checked of the image without a container engine: the Dockerfile copies only what the
 * build context holds (.dockerignore's allowlist) and what the entry point needs, installs production
 * dependencies only, runs as a numeric non-root user under an init process, from a pinned Node release.
 * (That shipped code imports no dev dependency is a dependency-cruiser rule: npm run check:imports.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));
const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('!'))
  .map((line) => line.slice(1).replace(/\/$/, ''));

describe('Dockerfile', () => {
  it('starts from a Node 24 release pinned by its full version', () => {
    expect(instructions[0]).toMatch(/^FROM node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('copies only paths that exist and that the build context keeps', () => {
    const sources = instructions
      .filter((line) => line.startsWith('COPY '))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(allowed, `${source} is excluded by .dockerignore`).toContain(source);
    }
    // What the entry point reads at run time: package.json (its version) and the sources.
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'workers']));
  });

  it('installs production dependencies only, runs as a numeric non-root user, under tini', () => {
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev /);
    const user = instructions.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    // No Node flag: one on the command line would override the NODE_OPTIONS each Deployment sets its
    // heap limit with (test/unit/heap-limits.test.ts).
    expect(instructions.at(-2)).toBe('ENTRYPOINT ["/usr/bin/tini", "--", "node", "src/cli/main.ts"]');
    expect(existsSync(join(ROOT, 'src/cli/main.ts'))).toBe(true);
  });
});
