import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings, SettingsError, type Settings } from '../../src/config/settings.ts';

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

  describe('boolean settings', () => {
    const booleans = [
      ['dispatcher', 'ownPodDefaults', 'KUBEDISPATCH_OWN_POD_DEFAULTS'],
      ['watcher', 'deleteFinishedJobs', 'KUBEDISPATCH_DELETE_FINISHED_JOBS'],
      ['http', 'uiWritable', 'KUBEDISPATCH_UI_WRITABLE'],
    ] as const;
    const value = (settings: Settings, group: (typeof booleans)[number][0], key: string) => (settings[group] as Record<string, unknown>)[key];

    it.each(booleans)('%s.%s takes true, false, 1 and 0 in any case from %s', (group, key, envVar) => {
      for (const text of ['true', 'TRUE', 'True', '1', ' 1 ']) expect(value(loadSettings({ [envVar]: text }), group, key)).toBe(true);
      for (const text of ['false', 'FALSE', 'False', '0']) expect(value(loadSettings({ [envVar]: text }), group, key)).toBe(false);
    });

    it.each(booleans)('%s.%s rejects anything else from %s, naming the key, the env var and the accepted values', (group, key, envVar) => {
      for (const text of ['no', 'yes', 'maybe', 'off', '', '2']) {
        expect(() => loadSettings({ [envVar]: text })).toThrow(SettingsError);
        expect(() => loadSettings({ [envVar]: text })).toThrow(`${group}.${key}: must be a boolean: true, false, 1 or 0 (any case) (env ${envVar})`);
      }
    });

    it('keeps YAML booleans and rejects YAML words that are not booleans', () => {
      expect(loadSettings({}, yamlFile('http:\n  uiWritable: true\ndispatcher:\n  ownPodDefaults: false\n'))).toMatchObject({
        http: { uiWritable: true },
        dispatcher: { ownPodDefaults: false },
      });
      // YAML 1.2 reads `no` as a string, which a boolean setting must not take for true.
      expect(() => loadSettings({}, yamlFile('http:\n  uiWritable: no\n'))).toThrow(/http\.uiWritable: must be a boolean/);
      expect(() => loadSettings({}, yamlFile('http:\n  uiWritable: 2\n'))).toThrow(/http\.uiWritable: must be a boolean/);
    });
  });

  describe('numeric settings', () => {
    it('rejects 0 where it would stop the service, naming the key and the env var', () => {
      const cases = {
        KUBEDISPATCH_DISPATCHER_CONCURRENCY: 'limits.dispatcherConcurrency',
        KUBEDISPATCH_MAX_ACTIVE_JOBS: 'limits.maxActiveJobs',
        KUBEDISPATCH_CREATE_CONCURRENCY: 'dispatcher.createConcurrency',
        KUBEDISPATCH_API_BURST: 'limits.apiBurst',
        KUBEDISPATCH_WATCHER_LEASE_TTL_MS: 'watcher.leaseTtlMs',
        KUBEDISPATCH_OUTCOME_POLL_MS: 'dispatcher.outcomePollMs',
      };
      for (const [envVar, key] of Object.entries(cases)) {
        expect(() => loadSettings({ [envVar]: '0' })).toThrow(`${key}: must be an integer of at least 1 (env ${envVar})`);
        expect(() => loadSettings({ [envVar]: '-3' })).toThrow(key);
        expect(() => loadSettings({ [envVar]: 'many' })).toThrow(key);
      }
      expect(() => loadSettings({}, yamlFile('limits:\n  maxActiveJobs: 0\n'))).toThrow(/limits\.maxActiveJobs: must be an integer of at least 1/);
    });

    it('takes 0 where it has a meaning', () => {
      const settings = loadSettings({
        KUBEDISPATCH_MAX_ACTIVE_JOBS_PER_NAMESPACE: '0',
        KUBEDISPATCH_API_QPS: '0',
        KUBEDISPATCH_API_RETRY_DEADLINE_MS: '0',
        KUBEDISPATCH_PULL_ERROR_GRACE_MS: '0',
        KUBEDISPATCH_LOG_TAIL_LINES: '0',
      });
      expect(settings.limits).toMatchObject({ maxActiveJobsPerNamespace: 0, apiQps: 0 });
      expect(settings.dispatcher.apiRetryDeadlineMs).toBe(0);
      expect(settings.watcher).toMatchObject({ pullErrorGraceMs: 0, logTailLines: 0 });
    });

    it('takes a fractional API rate but no negative or non-numeric one', () => {
      expect(loadSettings({ KUBEDISPATCH_API_QPS: '0.5' }).limits.apiQps).toBe(0.5);
      expect(() => loadSettings({ KUBEDISPATCH_API_QPS: '-1' })).toThrow(/limits\.apiQps: must be a number of at least 0 \(env KUBEDISPATCH_API_QPS\)/);
      expect(() => loadSettings({ KUBEDISPATCH_API_QPS: 'fast' })).toThrow(/limits\.apiQps/);
    });
  });

  it('config/kubedispatch.yaml, the example listing every setting, holds the defaults', () => {
    const example = fileURLToPath(new URL('../../config/kubedispatch.yaml', import.meta.url));
    expect(loadSettings({}, example)).toEqual(loadSettings({}));
  });

  it('takes an http(s) base URL for Mage callbacks, or none', () => {
    expect(loadSettings({}).mage.callbackUrl).toBe('');
    expect(loadSettings({ KUBEDISPATCH_CALLBACK_URL: 'http://kd.kubedispatch.svc:8080' }).mage.callbackUrl).toBe('http://kd.kubedispatch.svc:8080');
    expect(loadSettings({ KUBEDISPATCH_CALLBACK_URL: 'https://kd.example/base/' }).mage.callbackUrl).toBe('https://kd.example/base/');
    for (const bad of ['kd:8080', 'ftp://kd', 'http://kd/?x=1', 'http://user:pw@kd']) {
      expect(() => loadSettings({ KUBEDISPATCH_CALLBACK_URL: bad }), bad).toThrow(/mage\.callbackUrl: must be empty or an http:\/\/ or https:\/\/ URL.*\(env KUBEDISPATCH_CALLBACK_URL\)/);
    }
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
