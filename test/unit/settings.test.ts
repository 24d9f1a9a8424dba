import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  envSecrets,
  isOwnEnvVar,
  loadSettings,
  settingsSecrets,
  SettingsError,
  type Settings,
} from '../../src/config/settings.ts';

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
    expect(loadSettings({ KUBEDISPATCH_METRICS_PORT: '9464', KUBEDISPATCH_METRICS_HOST: '0.0.0.0' }).metrics).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
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
    const value = (settings: Settings, group: (typeof booleans)[number][0], key: string) =>
      (settings[group] as Record<string, unknown>)[key];

    it.each(booleans)('%s.%s takes true, false, 1 and 0 in any case from %s', (group, key, envVar) => {
      for (const text of ['true', 'TRUE', 'True', '1', ' 1 '])
        expect(value(loadSettings({ [envVar]: text }), group, key)).toBe(true);
      for (const text of ['false', 'FALSE', 'False', '0'])
        expect(value(loadSettings({ [envVar]: text }), group, key)).toBe(false);
    });

    it.each(booleans)(
      '%s.%s rejects anything else from %s, naming the key, the env var and the accepted values',
      (group, key, envVar) => {
        for (const text of ['no', 'yes', 'maybe', 'off', '', '2']) {
          expect(() => loadSettings({ [envVar]: text })).toThrow(SettingsError);
          expect(() => loadSettings({ [envVar]: text })).toThrow(
            `${group}.${key}: must be a boolean: true, false, 1 or 0 (any case) (env ${envVar})`,
          );
        }
      },
    );

    it('keeps YAML booleans and rejects YAML words that are not booleans', () => {
      expect(
        loadSettings({}, yamlFile('http:\n  uiWritable: true\ndispatcher:\n  ownPodDefaults: false\n')),
      ).toMatchObject({
        http: { uiWritable: true },
        dispatcher: { ownPodDefaults: false },
      });
      // YAML 1.2 reads `no` as a string, which a boolean setting must not take for true.
      expect(() => loadSettings({}, yamlFile('http:\n  uiWritable: no\n'))).toThrow(
        /http\.uiWritable: must be a boolean/,
      );
      expect(() => loadSettings({}, yamlFile('http:\n  uiWritable: 2\n'))).toThrow(
        /http\.uiWritable: must be a boolean/,
      );
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
        expect(() => loadSettings({ [envVar]: '0' })).toThrow(
          `${key}: must be an integer of at least 1 (env ${envVar})`,
        );
        expect(() => loadSettings({ [envVar]: '-3' })).toThrow(key);
        expect(() => loadSettings({ [envVar]: 'many' })).toThrow(key);
      }
      expect(() => loadSettings({}, yamlFile('limits:\n  maxActiveJobs: 0\n'))).toThrow(
        /limits\.maxActiveJobs: must be an integer of at least 1/,
      );
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
      expect(() => loadSettings({ KUBEDISPATCH_API_QPS: '-1' })).toThrow(
        /limits\.apiQps: must be a number of at least 0 \(env KUBEDISPATCH_API_QPS\)/,
      );
      expect(() => loadSettings({ KUBEDISPATCH_API_QPS: 'fast' })).toThrow(/limits\.apiQps/);
    });
  });

  it('config/kubedispatch.yaml, the example listing every setting, holds the defaults', () => {
    const example = fileURLToPath(new URL('../../config/kubedispatch.yaml', import.meta.url));
    expect(loadSettings({}, example)).toEqual(loadSettings({}));
  });

  it('takes an http(s) base URL for Mage callbacks, or none', () => {
    expect(loadSettings({}).mage.callbackUrl).toBe('');
    expect(loadSettings({ KUBEDISPATCH_CALLBACK_URL: 'http://kd.kubedispatch.svc:8080' }).mage.callbackUrl).toBe(
      'http://kd.kubedispatch.svc:8080',
    );
    expect(loadSettings({ KUBEDISPATCH_CALLBACK_URL: 'https://kd.example/base/' }).mage.callbackUrl).toBe(
      'https://kd.example/base/',
    );
    for (const bad of ['kd:8080', 'ftp://kd', 'http://kd/?x=1', 'http://user:pw@kd']) {
      expect(() => loadSettings({ KUBEDISPATCH_CALLBACK_URL: bad }), bad).toThrow(
        /mage\.callbackUrl: must be empty or an http:\/\/ or https:\/\/ URL.*\(env KUBEDISPATCH_CALLBACK_URL\)/,
      );
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

  it('names the key path and line of a YAML syntax error and never shows a line of the file', () => {
    const file = yamlFile(
      'http:\n  authToken: tok-s3cr3t\n  port: [8080\nredis:\n  url: redis://:pw-s3cr3t@redis:6379\n',
    );
    const message = (() => {
      try {
        loadSettings({}, file);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(SettingsError);
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: [a-z.]+: line \\d+, column \\d+: invalid YAML: `),
    );
    expect(message).not.toContain('s3cr3t');
    expect(message).not.toContain('authToken:');
    expect(message).not.toContain('^');
    // An alias name is a piece of the line: not shown either.
    const alias = yamlFile('http:\n  authToken: *s3cr3t\n');
    expect(() => loadSettings({}, alias)).toThrow(
      /: http\.authToken: line 2, column \d+: invalid YAML: unidentified alias …/,
    );
    expect(() => loadSettings({}, alias)).not.toThrow(/s3cr3t/);
  });

  it('gives the line of a bad value and never the value of an unknown key (maybe a mistyped secret)', () => {
    const file = yamlFile('queue:\n  prefix: kd\nhttp:\n  port: 70000\n  authTokn: s3cr3t\n');
    expect(() => loadSettings({}, file)).toThrow(
      /http\.port: ports must be within range 0 - 65535: value was 70000 \(line 4\)/,
    );
    expect(() => loadSettings({}, file)).toThrow(
      /http\.authTokn: not a known setting \(check its spelling against config\/kubedispatch\.yaml\) \(line 5\)/,
    );
    expect(() => loadSettings({}, file)).not.toThrow(/s3cr3t/);
    expect(() => loadSettings({}, yamlFile('- a\n- b\n'))).toThrow(/expected a mapping of setting groups/);
  });

  it("knows kubedispatch's own env vars and its secrets from the schema", () => {
    for (const name of [
      'REDIS_URL',
      'KUBEDISPATCH_AUTH_TOKEN',
      'KUBEDISPATCH_QUEUE_PREFIX',
      'KUBEDISPATCH_CONFIG',
      'KUBEDISPATCH_ANYTHING',
    ])
      expect(isOwnEnvVar(name), name).toBe(true);
    for (const name of ['MAGE_ENV', 'KUBECONFIG_X', 'HOSTNAME', 'PATH', 'redis_url'])
      expect(isOwnEnvVar(name), name).toBe(false);
    const env = {
      REDIS_URL: 'redis://:p%40ss@redis:6379',
      KUBEDISPATCH_AUTH_TOKEN: 'tok-0123456789abcdef0123456789abcdef',
    };
    expect(envSecrets(env)).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', 'tok-0123456789abcdef0123456789abcdef']));
    expect(settingsSecrets(loadSettings(env))).toEqual(
      expect.arrayContaining(['p%40ss', 'p@ss', 'tok-0123456789abcdef0123456789abcdef']),
    );
  });

  it('reads http.allowedHosts from KUBEDISPATCH_HTTP_ALLOWED_HOSTS', () => {
    expect(loadSettings({}).http.allowedHosts).toEqual([]);
    expect(
      loadSettings({ KUBEDISPATCH_HTTP_ALLOWED_HOSTS: 'kd.example.com, kd.ns.svc:8080,[::1],' }).http.allowedHosts,
    ).toEqual(['kd.example.com', 'kd.ns.svc:8080', '[::1]']);
    for (const bad of ['*', 'https://kd.example.com', 'kd.example.com/ui', 'a b']) {
      expect(() => loadSettings({ KUBEDISPATCH_HTTP_ALLOWED_HOSTS: bad })).toThrow(
        /http\.allowedHosts: must be host names such as kd\.example\.com/,
      );
    }
    expect(() => loadSettings({}, yamlFile('http:\n  allowedHosts: [ok.example, "*.example"]\n'))).toThrow(
      /"\*\.example" is not one/,
    );
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
