import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kd-settings-'));
  const file = join(dir, 'settings.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadSettings', () => {
  it('uses defaults when nothing is set', () => {
    const settings = loadSettings({});
    expect(settings.queue.prefix).toBe('kd');
    expect(settings.limits.apiQps).toBe(20);
    expect(settings.kube.namespaces).toEqual([]);
  });

  it('lets env vars override the file, which overrides defaults', () => {
    const file = yamlFile('queue:\n  prefix: fromfile\nlimits:\n  apiBurst: 7\n');
    const settings = loadSettings({ KUBEDISPATCH_QUEUE_PREFIX: 'fromenv' }, file);
    expect(settings.queue.prefix).toBe('fromenv');
    expect(settings.limits.apiBurst).toBe(7);
  });

  it('has no metrics listener unless metrics.port is set, and checks the port', () => {
    expect(loadSettings({}).metrics).toEqual({ host: '127.0.0.1', port: 0 });
    expect(loadSettings({ KUBEDISPATCH_METRICS_PORT: '9464', KUBEDISPATCH_METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => loadSettings({ KUBEDISPATCH_METRICS_PORT: '70000' })).toThrow(/metrics\.port/);
  });

  it("takes Jobs' defaults from the dispatcher's own pod unless told not to", () => {
    expect(loadSettings({}).dispatcher.ownPodDefaults).toBe(true);
    expect(loadSettings({ KUBEDISPATCH_OWN_POD_DEFAULTS: 'false' }).dispatcher.ownPodDefaults).toBe(false);
  });

  it('config/kubedispatch.yaml, the example listing every setting, holds the defaults', () => {
    const example = fileURLToPath(new URL('../../config/kubedispatch.yaml', import.meta.url));
    expect(loadSettings({}, example)).toEqual(loadSettings({}));
  });

  it('parses comma-separated namespaces', () => {
    expect(loadSettings({ KUBEDISPATCH_NAMESPACES: 'a,b' }).kube.namespaces).toEqual(['a', 'b']);
  });

  it('rejects unknown keys and wrong types, naming the file', () => {
    const file = yamlFile('limits:\n  apiBurts: 7\n');
    expect(() => loadSettings({}, file)).toThrow(SettingsError);
    expect(() => loadSettings({}, file)).toThrow(/apiBurts/);
    expect(() => loadSettings({ KUBEDISPATCH_HTTP_PORT: 'eighty' })).toThrow(/http\.port/);
  });

  it('never prints a sensitive value in its error', () => {
    const file = yamlFile('http:\n  port: -1\n');
    try {
      loadSettings({ KUBEDISPATCH_AUTH_TOKEN: 's3cr3t-token' }, file);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cr3t-token');
    }
  });
});
