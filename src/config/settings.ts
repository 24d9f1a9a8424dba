import { existsSync } from 'node:fs';
import convict from 'convict';
import { urlSecrets } from '../errors/redact.ts';
import type { Env } from './env.ts';
import {
  authToken,
  hostList,
  naturalInt,
  nonNegativeNumber,
  optionalHttpUrl,
  positiveInt,
  redisUrl,
  strictBoolean,
} from './formats.ts';
import { lineOfKeyPath, readSettingsFile } from './settings-file.ts';

/**
 * Service settings (not pipeline configuration): where Redis is, how hard to push the API server,
 * what the watcher waits for. Precedence: defaults < YAML file < environment variables.
 */
const schema = {
  redis: {
    url: {
      doc: 'Redis connection URL (may contain a password)',
      format: redisUrl,
      default: 'redis://127.0.0.1:6379',
      env: 'REDIS_URL',
      sensitive: true,
    },
    epochCheckIntervalMs: {
      doc: 'How often every process checks that Redis still holds the installation epoch it started in (it exits with code 3 when Redis lost its data)',
      format: positiveInt,
      default: 5_000,
      env: 'KUBEDISPATCH_EPOCH_CHECK_INTERVAL_MS',
    },
  },
  runs: {
    retentionMs: {
      doc: 'Finished runs (and everything they own in Redis) are deleted this long after they finished; 0: kept forever',
      format: naturalInt,
      default: 30 * 24 * 3600 * 1000,
      env: 'KUBEDISPATCH_RUN_RETENTION_MS',
    },
    pruneIntervalMs: {
      doc: 'How often the scheduler deletes the finished runs older than runs.retentionMs',
      format: positiveInt,
      default: 60_000,
      env: 'KUBEDISPATCH_RUN_PRUNE_INTERVAL_MS',
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
    clusterName: {
      doc: "Name of the cluster recorded with each attempt (runs page, API, status); empty: the kubeconfig's current cluster name",
      format: String,
      default: '',
      env: 'KUBEDISPATCH_CLUSTER_NAME',
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
      doc: "Base URL at which Jobs' pods reach kubedispatch's HTTP API (e.g. http://kubedispatch-api.kubedispatch.svc:8080); when set, Mage's command gets --callback-url, so a block whose condition fails ends condition_failed instead of succeeded. Empty: no callback",
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
      doc: "A pod still unschedulable after this long fails its block run with the scheduler's message",
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
    finishedJobGraceMs: {
      doc: 'A finished Job is deleted this long after it finished, not at once: a create request of the same attempt still in flight (sent before a dispatcher lost its queue lock) then meets the Job (409) and adopts it, instead of creating it again and running the block twice (0: delete at once)',
      format: naturalInt,
      default: 60_000,
      env: 'KUBEDISPATCH_FINISHED_JOB_GRACE_MS',
    },
    orphanGraceMs: {
      doc: 'A Job whose run no longer exists (made before Redis lost its data, or its run was pruned) is reported at once and deleted after this long (0: at the next sweep)',
      format: naturalInt,
      default: 600_000,
      env: 'KUBEDISPATCH_ORPHAN_GRACE_MS',
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
      doc: 'Bearer token the HTTP API and dashboard require; mandatory when listening beyond loopback; at least 32 characters (openssl rand -hex 32)',
      format: authToken,
      default: '',
      env: 'KUBEDISPATCH_AUTH_TOKEN',
      sensitive: true,
    },
    allowedHosts: {
      doc:
        'Host names (comma separated) the HTTP API and dashboard answer to besides the listen address, localhost, 127.0.0.1 and [::1]: ' +
        'requests with another Host or Origin are refused (DNS rebinding, cross-site requests). Add the names users reach it by (Ingress, Service DNS name)',
      format: hostList,
      default: [] as string[],
      env: 'KUBEDISPATCH_HTTP_ALLOWED_HOSTS',
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
      ? D extends readonly unknown[]
        ? string[]
        : D extends number
          ? number
          : D extends boolean
            ? boolean
            : string
      : never;
  };
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Env vars of the sensitive settings (REDIS_URL, KUBEDISPATCH_AUTH_TOKEN), read from the schema. */
const SENSITIVE_ENV_VARS: ReadonlySet<string> = new Set(
  Object.values(schema)
    .flatMap((group) => Object.values(group as Record<string, { env?: string; sensitive?: boolean }>))
    .filter((item) => item.sensitive === true && item.env !== undefined)
    .map((item) => item.env as string),
);
/** Every env var kubedispatch reads for itself starts with this (besides the sensitive ones above). */
const OWN_ENV_PREFIX = 'KUBEDISPATCH_';

/**
 * Whether an env var is kubedispatch's own configuration (`REDIS_URL`, the auth token, every
 * `KUBEDISPATCH_*`), which must never reach a Job: the one list, kept beside the schema it comes from.
 */
export function isOwnEnvVar(name: string): boolean {
  return name.startsWith(OWN_ENV_PREFIX) || SENSITIVE_ENV_VARS.has(name);
}

/** The secrets in the environment's sensitive settings (whole values, and the credentials of URLs), for `scrubSecrets`. */
export function envSecrets(env: Env): string[] {
  return [...SENSITIVE_ENV_VARS].flatMap((name) => {
    const value = env[name] ?? '';
    return value === '' ? [] : [value, ...urlSecrets(value)];
  });
}

/** The secrets of these settings, as `scrubSecrets` takes them: the Redis URL's credentials and the auth token. */
export function settingsSecrets(settings: Settings): string[] {
  return [...urlSecrets(settings.redis.url), settings.http.authToken];
}

/**
 * convict's line for an undeclared key, as "key.path: …" like the others. Never with its value:
 * the key may be a mistyped secret (`authTokn`).
 */
function undeclaredAsKeyPath(message: string): string {
  return message
    .split('\n')
    .map((line) => {
      const key = /^configuration param '([^']+)' not declared in the schema/.exec(line)?.[1];
      return key === undefined
        ? line
        : `${key}: not a known setting (check its spelling against config/kubedispatch.yaml)`;
    })
    .join('\n');
}

/** Adds "(line N)" to each "key.path: message" line of convict's message whose key the file writes. */
function withLines(message: string, text: string | undefined): string {
  if (text === undefined) return message;
  return message
    .split('\n')
    .map((line) => {
      const keyPath = /^([A-Za-z0-9_.-]+): /.exec(line)?.[1];
      const at = keyPath === undefined ? undefined : lineOfKeyPath(text, keyPath);
      return at === undefined ? line : `${line} (line ${at})`;
    })
    .join('\n');
}

/**
 * Loads settings from defaults, an optional YAML file (`KUBEDISPATCH_CONFIG` or `file`) and the
 * environment, validating strictly so that a typo in a key is an error, not a silently ignored line.
 */
export function loadSettings(env: Env, file?: string): Settings {
  const config = convict(schema, { env: env as Record<string, string> });
  const path = file ?? env['KUBEDISPATCH_CONFIG'];
  let text: string | undefined;
  if (path) {
    if (!existsSync(path))
      throw new SettingsError(
        `${path}: settings file not found (set KUBEDISPATCH_CONFIG or --config to an existing YAML file)`,
      );
    // Read here rather than by convict, whose parsers' errors quote the text around a mistake.
    let document: unknown;
    try {
      ({ document, text } = readSettingsFile(path));
    } catch (error) {
      throw new SettingsError((error as Error).message);
    }
    if (document !== null && document !== undefined && (typeof document !== 'object' || Array.isArray(document))) {
      throw new SettingsError(`${path}: expected a mapping of setting groups (redis:, queue:, http:…)`);
    }
    if (document) config.load(document as object);
  }
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    throw new SettingsError(`${path ?? 'settings'}: ${withLines(undeclaredAsKeyPath((error as Error).message), text)}`);
  }
  return config.getProperties() as unknown as Settings;
}
