import { existsSync } from 'node:fs';
import convict from 'convict';
import { load } from 'js-yaml';
import type { Env } from './env.ts';
import { naturalInt, nonNegativeNumber, optionalHttpUrl, positiveInt, strictBoolean } from './formats.ts';

convict.addParser({ extension: ['yml', 'yaml'], parse: (text: string) => load(text) });

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
      doc: 'Cluster-wide cap on Jobs that are active at once, shared by all dispatchers (at least 1: with 0 nothing would ever run)',
      format: positiveInt,
      default: 1000,
      env: 'KUBEDISPATCH_MAX_ACTIVE_JOBS',
    },
    maxActiveJobsPerNamespace: {
      doc: 'Optional cap on active Jobs per namespace (0 = no cap)',
      format: naturalInt,
      default: 0,
      env: 'KUBEDISPATCH_MAX_ACTIVE_JOBS_PER_NAMESPACE',
    },
    apiQps: {
      doc: 'Token bucket refill rate for Job-creating API requests, shared by all dispatchers (0: no limit)',
      format: nonNegativeNumber,
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
  project: {
    dir: {
      doc: 'Mage project directory the scheduler and HTTP API trigger runs from (holds metadata.yaml and pipelines/)',
      format: String,
      default: '',
      env: 'KUBEDISPATCH_PROJECT_DIR',
    },
  },
  mage: {
    callbackUrl: {
      doc:
        "Base URL at which Jobs' pods reach kubedispatch's HTTP API (e.g. http://kubedispatch-api.kubedispatch.svc:8080); when set, Mage's command gets --callback-url, so a block whose condition fails ends condition_failed instead of succeeded. Empty: no callback",
      format: optionalHttpUrl,
      default: '',
      env: 'KUBEDISPATCH_CALLBACK_URL',
    },
  },
  scheduler: {
    sweepIntervalMs: {
      doc: 'How often the scheduler re-advances every active run (repairs crashes between steps)',
      format: positiveInt,
      default: 10_000,
      env: 'KUBEDISPATCH_SCHEDULER_SWEEP_INTERVAL_MS',
    },
  },
  dispatcher: {
    createConcurrency: {
      doc: 'Job-creating API calls one dispatcher has in flight at once',
      format: positiveInt,
      default: 16,
      env: 'KUBEDISPATCH_CREATE_CONCURRENCY',
    },
    apiRetryBaseMs: {
      doc: 'First delay before retrying a transient Kubernetes API error (doubles per try, with jitter)',
      format: positiveInt,
      default: 200,
      env: 'KUBEDISPATCH_API_RETRY_BASE_MS',
    },
    apiRetryMaxMs: {
      doc: 'Cap of one delay between retries of a transient Kubernetes API error',
      format: positiveInt,
      default: 30_000,
      env: 'KUBEDISPATCH_API_RETRY_MAX_MS',
    },
    apiRetryDeadlineMs: {
      doc: 'Give up on transient API errors for one Job creation after this long (the block run then fails with the last error); 0: no retries',
      format: naturalInt,
      default: 300_000,
      env: 'KUBEDISPATCH_API_RETRY_DEADLINE_MS',
    },
    outcomePollMs: {
      doc: 'Backup poll of recorded outcomes, in case a pub/sub message was missed',
      format: positiveInt,
      default: 5_000,
      env: 'KUBEDISPATCH_OUTCOME_POLL_MS',
    },
    lockDurationMs: {
      doc: 'Lock a dispatcher keeps renewed on each block run it works on; after a crash its block runs are taken over once this expires',
      format: positiveInt,
      default: 30_000,
      env: 'KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS',
    },
    stalledIntervalMs: {
      doc: 'How often dispatchers look for block runs whose dispatcher died (lock expired) and take them over',
      format: positiveInt,
      default: 30_000,
      env: 'KUBEDISPATCH_DISPATCHER_STALLED_INTERVAL_MS',
    },
    ownPodDefaults: {
      doc:
        "In a cluster, Jobs take image, env, env_from, volume mounts, node selector, tolerations and image pull secrets from the dispatcher's own pod where their config is silent " +
        "(as Mage's Jobs from its server pod); turn off unless the dispatcher runs in the Mage server's pod: its own env and mounts (REDIS_URL, the auth token) would reach every Job",
      format: strictBoolean,
      default: true,
      env: 'KUBEDISPATCH_OWN_POD_DEFAULTS',
    },
  },
  watcher: {
    sweepIntervalMs: {
      doc: 'How often the watcher reconciles every active block run with the cluster',
      format: positiveInt,
      default: 15_000,
      env: 'KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS',
    },
    watchIdleTimeoutMs: {
      doc: 'A watch that delivers nothing (not even a bookmark) for this long is torn down and resumed',
      format: positiveInt,
      default: 90_000,
      env: 'KUBEDISPATCH_WATCH_IDLE_TIMEOUT_MS',
    },
    podStartTimeoutMs: {
      doc: 'A pod still unschedulable after this long fails its block run with the scheduler\'s message',
      format: positiveInt,
      default: 300_000,
      env: 'KUBEDISPATCH_POD_START_TIMEOUT_MS',
    },
    pullErrorGraceMs: {
      doc: 'Grace before image pull and container config errors fail a block run (0: fail at once)',
      format: naturalInt,
      default: 30_000,
      env: 'KUBEDISPATCH_PULL_ERROR_GRACE_MS',
    },
    leaseTtlMs: {
      doc: 'Lease that makes one watcher active; standbys take over after it expires',
      format: positiveInt,
      default: 15_000,
      env: 'KUBEDISPATCH_WATCHER_LEASE_TTL_MS',
    },
    logTailLines: {
      doc: 'Log lines of a failed container kept with the block run (0: none)',
      format: naturalInt,
      default: 50,
      env: 'KUBEDISPATCH_LOG_TAIL_LINES',
    },
    deleteFinishedJobs: {
      doc: 'Delete finished Jobs (propagation Background) once their outcome is stored, unless ttl_seconds_after_finished is set',
      format: strictBoolean,
      default: true,
      env: 'KUBEDISPATCH_DELETE_FINISHED_JOBS',
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
    uiWritable: {
      doc: 'Let Bull Board at /ui retry, promote and remove queue jobs (read-only by default: such changes bypass the run store)',
      format: strictBoolean,
      default: false,
      env: 'KUBEDISPATCH_UI_WRITABLE',
    },
  },
  metrics: {
    host: {
      doc: 'Address of the metrics listener (/metrics, /healthz, /readyz) that every process (scheduler, dispatcher, watcher, dashboard, all) can serve',
      format: String,
      default: '127.0.0.1',
      env: 'KUBEDISPATCH_METRICS_HOST',
    },
    port: {
      doc: 'Port of the metrics listener; 0: no listener (several processes on one machine would need a port each)',
      format: 'port',
      default: 0,
      env: 'KUBEDISPATCH_METRICS_PORT',
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
      ? D extends readonly unknown[] ? string[] : D extends number ? number : D extends boolean ? boolean : string
      : never;
  };
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

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
