import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import convict from 'convict';
import { load } from 'js-yaml';
import type { Env } from './env.ts';

convict.addParser({ extension: ['yml', 'yaml'], parse: (text: string) => load(text) });

const positiveInt = 'nat';

/**
 * Service settings (not pipeline configuration): where Redis is, how hard to push the API server,
 * what the watcher waits for. Precedence: defaults < YAML file < environment variables.
 */
const schema = {
  redis: {
    url: {
      doc: 'Redis connection URL (may contain a password)',
      format: String,
      default: 'redis://127.0.0.1:6379',
      env: 'REDIS_URL',
      sensitive: true,
    },
  },
  queue: {
    prefix: {
      doc: 'Prefix of every Redis key kubedispatch writes (BullMQ prefix); wrap in {braces} for Redis Cluster',
      format: String,
      default: 'kd',
      env: 'KUBEDISPATCH_QUEUE_PREFIX',
    },
  },
  kube: {
    kubeconfig: {
      doc: 'Path of a kubeconfig file; empty means in-cluster config, then ~/.kube/config',
      format: String,
      default: '',
      env: 'KUBECONFIG',
    },
    namespaces: {
      doc: 'Namespaces the watcher observes (comma separated); empty means every namespace Jobs are created in',
      format: Array,
      default: [] as string[],
      env: 'KUBEDISPATCH_NAMESPACES',
    },
    requestTimeoutMs: {
      doc: 'Timeout of one Kubernetes API request',
      format: positiveInt,
      default: 15_000,
      env: 'KUBEDISPATCH_KUBE_REQUEST_TIMEOUT_MS',
    },
  },
  limits: {
    maxActiveJobs: {
      doc: 'Cluster-wide cap on Jobs that are active at once, shared by all dispatchers',
      format: positiveInt,
      default: 1000,
      env: 'KUBEDISPATCH_MAX_ACTIVE_JOBS',
    },
    maxActiveJobsPerNamespace: {
      doc: 'Optional cap on active Jobs per namespace (0 = no cap)',
      format: positiveInt,
      default: 0,
      env: 'KUBEDISPATCH_MAX_ACTIVE_JOBS_PER_NAMESPACE',
    },
    apiQps: {
      doc: 'Token bucket refill rate for Job-creating API requests, shared by all dispatchers',
      format: Number,
      default: 20,
      env: 'KUBEDISPATCH_API_QPS',
    },
    apiBurst: {
      doc: 'Token bucket size for Job-creating API requests',
      format: positiveInt,
      default: 30,
      env: 'KUBEDISPATCH_API_BURST',
    },
    dispatcherConcurrency: {
      doc: 'Block runs one dispatcher process works on at once',
      format: positiveInt,
      default: 50,
      env: 'KUBEDISPATCH_DISPATCHER_CONCURRENCY',
    },
  },
  http: {
    host: {
      doc: 'Address the HTTP API and dashboard listen on',
      format: String,
      default: '127.0.0.1',
      env: 'KUBEDISPATCH_HTTP_HOST',
    },
    port: {
      doc: 'Port of the HTTP API and dashboard',
      format: 'port',
      default: 8080,
      env: 'KUBEDISPATCH_HTTP_PORT',
    },
    authToken: {
      doc: 'Bearer token the HTTP API and dashboard require; mandatory when listening beyond loopback',
      format: String,
      default: '',
      env: 'KUBEDISPATCH_AUTH_TOKEN',
      sensitive: true,
    },
  },
  log: {
    level: {
      doc: 'Log level',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'LOG_LEVEL',
    },
  },
};

/** Validated settings; the shape follows `schema` key for key. */
export type Settings = {
  [Group in keyof typeof schema]: {
    [Key in keyof (typeof schema)[Group]]: (typeof schema)[Group][Key] extends { default: infer D }
      ? D extends readonly unknown[] ? string[] : D extends number ? number : string
      : never;
  };
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export const defaultSettingsFile = fileURLToPath(new URL('../../config/kubedispatch.yaml', import.meta.url));

/**
 * Loads settings from defaults, an optional YAML file (`KUBEDISPATCH_CONFIG` or `file`) and the
 * environment, validating strictly so that a typo in a key is an error, not a silently ignored line.
 */
export function loadSettings(env: Env, file?: string): Settings {
  const config = convict(schema, { env: env as Record<string, string> });
  const path = file ?? env['KUBEDISPATCH_CONFIG'];
  if (path) {
    if (!existsSync(path)) throw new SettingsError(`${path}: settings file not found (set KUBEDISPATCH_CONFIG or --config to an existing YAML file)`);
    try {
      config.loadFile(path);
    } catch (error) {
      throw new SettingsError(`${path}: ${(error as Error).message}`);
    }
  }
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    throw new SettingsError(`${path ?? 'settings'}: ${(error as Error).message}`);
  }
  return config.getProperties() as unknown as Settings;
}
