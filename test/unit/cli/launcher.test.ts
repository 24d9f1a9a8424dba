import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };

const LAUNCHER = 'bin/kubedispatch.js';
/** Debian's own Node.js, older than the sources need on the machines this project is built on. */
const SYSTEM_NODE = '/usr/bin/node';

function nodeVersion(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined;
  return spawnSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

const required = /^>=(\d+)\.(\d+)/.exec(packageJson.engines.node)!.slice(1).map(Number) as [number, number];
const systemVersion = nodeVersion(SYSTEM_NODE);
const systemIsOlder =
  systemVersion !== undefined &&
  (() => {
    const [major, minor] = systemVersion.split('.').map(Number) as [number, number];
    return major < required[0] || (major === required[0] && minor < required[1]);
  })();

describe('the kubedispatch launcher', () => {
  it('runs the command on this Node.js', () => {
    const result = spawnSync(process.execPath, [LAUNCHER, '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(packageJson.version);
  });

  it.runIf(systemIsOlder)(
    'on an older Node.js says which version is needed and how to get it, without a stack trace',
    () => {
      for (const entry of [[LAUNCHER, 'demo'], ['scripts/require-node.js']]) {
        const result = spawnSync(SYSTEM_NODE, entry, { encoding: 'utf8' });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(`needs Node.js ${packageJson.engines.node.slice(2)} or newer`);
        expect(result.stderr).toContain(`this is Node.js ${systemVersion}`);
        expect(result.stderr).toContain('. scripts/use-node24.sh');
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
    },
  );
});
