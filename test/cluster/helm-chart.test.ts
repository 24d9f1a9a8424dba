/**
 * The Helm chart (charts/kubedispatch) on a real kube-apiserver, with the helm that test/cluster/build.sh
 * builds: lint and template for every values file in charts/kubedispatch/ci/, k8s/ equal to a fresh render,
 * the rendered settings and executor files read by kubedispatch's own loaders, a server-side dry run of
 * every rendered object, then `helm install` and `helm upgrade`: the Deployments become available on
 * kwok's nodes, the generated token survives the upgrade, the service account may do exactly what
 * the processes need in each Job namespace and nothing in its own, and a pipeline runs through the
 * installed objects: a dispatcher and a watcher from this repository, with the release's settings, job
 * template, env and service account (and the tests' own Redis), create Jobs that mount the project claim.
 *
 * Not proven here (kwok runs no containers): that the processes start in the image, that the probes
 * answer, that the bundled Redis, git-sync or KEDA work, that NetworkPolicies are enforced (no CNI).
 * ServiceMonitor, ScaledObject and TriggerAuthentication are dry-run against minimal CRDs that accept any
 * spec: their kind, group, version and scope are checked, not their fields.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  type KubernetesObject,
  type V1Deployment,
  type V1EnvVar,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { startDashboard } from '../../src/http/dashboard.ts';
import { openCluster } from '../../src/k8s/open-cluster.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { openRunContext } from '../../src/runs/run-context.ts';
import { createWatcher } from '../../src/watch/watcher.ts';
import { dispatchHarness } from '../dispatch/support/harness.ts';

const kubeconfigPath = process.env['KUBEDISPATCH_CONTRACT_KUBECONFIG'];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHART = join(ROOT, 'charts/kubedispatch');
const VALUES_DIR = join(CHART, 'ci');
const valuesFiles = readdirSync(VALUES_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();
const SERVICE_MONITOR_API = 'monitoring.coreos.com/v1/ServiceMonitor';

type Rendered = KubernetesObject & { data?: Record<string, string>; kind: string };

/** Kinds whose CRDs the control plane lacks: installed as minimal CRDs for the dry run. */
const CRDS = [
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { group: 'keda.sh', version: 'v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' },
  { group: 'keda.sh', version: 'v1alpha1', kind: 'TriggerAuthentication', plural: 'triggerauthentications' },
];

describe.skipIf(!kubeconfigPath)('charts/kubedispatch on a real API server', () => {
  const id = Date.now().toString(36);
  const work = mkdtempSync(join(tmpdir(), 'kd-helm-'));
  const admin = new KubeConfig();
  let helmPath = '';
  const helmEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(work, 'cache'),
    HELM_CONFIG_HOME: join(work, 'config'),
    HELM_DATA_HOME: join(work, 'data'),
  };
  const helm = (...args: string[]) => spawnSync(helmPath, args, { encoding: 'utf8', env: helmEnv });
  const helmOk = (...args: string[]): string => {
    const result = helm(...args);
    if (result.status !== 0) throw new Error(`helm ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const render = (release: string, namespace: string, ...args: string[]): Rendered[] =>
    (loadAllYaml(helmOk('template', release, CHART, '--namespace', namespace, ...args)) as (Rendered | null)[]).filter(
      (object): object is Rendered => object !== null,
    );
  const createdNamespaces: string[] = [];

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath!);
    helmPath = join(
      execFileSync('bash', [join(ROOT, 'test/cluster/build.sh'), 'helm'], { encoding: 'utf8' }).trim(),
      'helm',
    );
    const crds = admin.makeApiClient(ApiextensionsV1Api);
    for (const crd of CRDS) {
      await crds.createCustomResourceDefinition({
        body: {
          metadata: { name: `${crd.plural}.${crd.group}` },
          spec: {
            group: crd.group,
            scope: 'Namespaced',
            names: { kind: crd.kind, plural: crd.plural, singular: crd.kind.toLowerCase() },
            versions: [
              {
                name: crd.version,
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      });
    }
    for (const crd of CRDS) {
      await vi.waitFor(
        async () => {
          const status = (await crds.readCustomResourceDefinition({ name: `${crd.plural}.${crd.group}` })).status;
          if (!status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True'))
            throw new Error(`${crd.kind} CRD not established`);
        },
        { timeout: 30_000, interval: 200 },
      );
    }
  });

  afterAll(async () => {
    if (!kubeconfigPath) return;
    helm(
      'uninstall',
      'kubedispatch',
      '--namespace',
      `kdh-${id}`,
      '--kubeconfig',
      kubeconfigPath,
      '--wait',
      '--timeout',
      '60s',
    );
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of createdNamespaces) await core.deleteNamespace({ name }).catch(() => undefined);
    for (const name of [`kdh-${id}-project`, `kdh-${id}-a-project`])
      await core.deletePersistentVolume({ name }).catch(() => undefined);
    const crds = admin.makeApiClient(ApiextensionsV1Api);
    for (const crd of CRDS)
      await crds.deleteCustomResourceDefinition({ name: `${crd.plural}.${crd.group}` }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  const createNamespace = async (name: string) => {
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
    createdNamespaces.push(name);
  };

  it('lints clean with every values file, and refuses bad values with a message naming the value', () => {
    for (const file of valuesFiles) {
      const result = helm('lint', '--strict', CHART, '--values', join(VALUES_DIR, file));
      expect(result.status, `${file}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    const bad = (args: string[], message: RegExp) => {
      const result = helm('template', 'kd', CHART, ...args);
      expect(result.status, args.join(' ')).not.toBe(0);
      expect(result.stderr).toMatch(message);
    };
    bad([], /set exactly one of redis\.url, redis\.existingSecret .* or redis\.bundled\.enabled=true/);
    bad(
      ['--set', 'redis.url=redis://r:6379', '--set', 'dispatcher.replicas=1'],
      /dispatcher\/replicas.*minimum: got 1, want 2/,
    );
    bad(
      ['--set', 'redis.url=redis://r:6379', '--set', 'watcher.replicas=1'],
      /watcher\/replicas.*minimum: got 1, want 2/,
    );
    bad(
      ['--set', 'redis.url=redis://r:6379', '--set', 'securityContext.allowPrivilegeEscalation=true'],
      /allowPrivilegeEscalation/,
    );
    bad(['--set', 'redis.url=redis://r:6379', '--set', 'replicas=3'], /additional properties 'replicas' not allowed/);
    bad(
      ['--set', 'redis.url=redis://r:6379', '--set', 'dispatcher.maxOldSpaceSizeMb=-1'],
      /dispatcher\/maxOldSpaceSizeMb.*minimum: got -1, want 0/,
    );
    bad(
      ['--set', 'redis.url=redis://r:6379', '--namespace', 'kubedispatch-jobs'],
      /jobNamespaces: kubedispatch-jobs is the release namespace/,
    );
    bad(
      ['--set', 'redis.url=redis://r:6379', '--set', 'settings.queue.prefix=x'],
      /settings\.queue\.prefix: set queuePrefix instead/,
    );
  });

  it('renders the values example of docs/deploying.md, and its settings load', () => {
    const doc = readFileSync(join(ROOT, 'docs/deploying.md'), 'utf8');
    const example = /^## Helm$[\s\S]*?^```yaml\n([\s\S]*?)^```$/m.exec(doc)?.[1];
    expect(example, 'a ```yaml block under "## Helm"').toBeDefined();
    const file = join(work, 'deploying-example.yaml');
    writeFileSync(file, example!);
    expect(helm('lint', '--strict', CHART, '--values', file).status).toBe(0);
    const objects = render('kubedispatch', 'kubedispatch', '--values', file);
    const settingsFile = join(work, 'deploying-example.settings.yaml');
    writeFileSync(
      settingsFile,
      objects.find((o) => o.metadata?.name === 'kubedispatch-settings')!.data!['kubedispatch.yaml']!,
    );
    expect(loadSettings({}, settingsFile).kube.namespaces).toEqual(['mage-jobs']);
    expect(
      objects.find((o) => o.metadata?.name === 'kubedispatch-executor')!.data!['k8s-default-config.yaml'],
    ).toContain('enforce: true');
  });

  it("leaves a process's heap to Node when its heap values are 0, and sets NODE_OPTIONS from the rest", () => {
    const nodeOptions = (...args: string[]) =>
      Object.fromEntries(
        (render('kd', 'kubedispatch', '--values', join(VALUES_DIR, 'default-values.yaml'), ...args) as V1Deployment[])
          .filter((object) => object.kind === 'Deployment')
          .map((deployment) => [
            deployment.metadata!.labels!['app.kubernetes.io/component'],
            deployment.spec!.template.spec!.containers[0]!.env!.find((variable) => variable.name === 'NODE_OPTIONS')
              ?.value,
          ]),
      );
    expect(
      nodeOptions(
        '--set',
        'scheduler.maxOldSpaceSizeMb=0,watcher.maxOldSpaceSizeMb=0,dispatcher.maxOldSpaceSizeMb=900,dashboard.maxOldSpaceSizeMb=0',
      ),
    ).toEqual({
      scheduler: undefined,
      dispatcher: '--max-old-space-size=900',
      watcher: '--max-semi-space-size=2',
      dashboard: undefined,
    });
    expect(nodeOptions('--set', 'watcher.maxSemiSpaceSizeMb=0').watcher).toMatch(/^--max-old-space-size=\d+$/);
  });

  it('renders k8s/ exactly (scripts/render-k8s.mjs --check)', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts/render-k8s.mjs'), '--check'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('gives every process env and files that kubedispatch itself reads without a problem', () => {
    // Stand-ins for what the pods take from Secrets.
    const fromSecrets: Record<string, string> = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      KUBEDISPATCH_AUTH_TOKEN: 'k'.repeat(64),
    };
    for (const file of valuesFiles) {
      const objects = render('kd', 'kubedispatch', '--values', join(VALUES_DIR, file));
      const configMap = (name: string) =>
        objects.find((object) => object.kind === 'ConfigMap' && object.metadata?.name === name);
      const settingsFile = join(work, `${file}.settings.yaml`);
      writeFileSync(settingsFile, configMap('kd-kubedispatch-settings')!.data!['kubedispatch.yaml']!);
      // The executor files where the Deployments mount them, here in a folder of the test's own.
      const executorFiles = new Map<string, string>();
      for (const [key, text] of Object.entries(configMap('kd-kubedispatch-executor')?.data ?? {})) {
        executorFiles.set(key, join(work, `${file}.${key}`));
        writeFileSync(executorFiles.get(key)!, text);
      }
      for (const deployment of objects.filter((object) => object.kind === 'Deployment') as V1Deployment[]) {
        const component = deployment.metadata!.labels!['app.kubernetes.io/component']!;
        const env: Record<string, string> = {};
        for (const variable of deployment.spec!.template.spec!.containers[0]!.env as V1EnvVar[]) {
          env[variable.name] = variable.value ?? fromSecrets[variable.name]!;
        }
        expect(env['KUBEDISPATCH_CONFIG'], `${file} ${component}`).toBe('/etc/kubedispatch/kubedispatch.yaml');
        // Every process's heap limit, set with its memory limit (test/unit/heap-limits.test.ts: the defaults fit).
        expect(env['NODE_OPTIONS'], `${file} ${component}`).toMatch(
          /^--max-old-space-size=\d+( --max-semi-space-size=\d+)?$/,
        );
        env['KUBEDISPATCH_CONFIG'] = settingsFile;
        for (const name of ['K8S_CONFIG_FILE', 'K8S_DEFAULT_CONFIG_PATH']) {
          if (env[name] !== undefined) env[name] = executorFiles.get(env[name]!.split('/').at(-1)!)!;
        }
        // As the process loads them: defaults < the settings file < its env (strict: an unknown key fails).
        const settings = loadSettings(env);
        if (component === 'scheduler' || component === 'dashboard')
          expect(settings.project.dir, `${file} ${component}`).toMatch(/^\/home\/src\//);
        if (component === 'dashboard') {
          expect(settings.http.host).toBe('0.0.0.0');
          expect(settings.http.allowedHosts).toContain('kd-kubedispatch-dashboard.kubedispatch.svc');
        }
        if (component === 'watcher') continue;
        const context = loadRenderContext(env, {
          queuePrefix: settings.queue.prefix,
          watchedNamespaces: settings.kube.namespaces,
        });
        expect(settings.kube.namespaces, `${file} ${component}`).toContain(env['KUBE_NAMESPACE']);
        if (file === 'multi-namespace-values.yaml') {
          expect(settings.limits.maxActiveJobs).toBe(200);
          expect(context.policy, 'policy read from K8S_DEFAULT_CONFIG_PATH').not.toBeNull();
          // Every K8S_EXECUTOR_DEFAULT_* and K8S_EXECUTOR_MAX_* the chart sets is a name kubedispatch reads.
          expect(context.envDefaults.config).toEqual({
            namespace: 'team-a-jobs',
            pod: { serviceAccountName: 'mage-jobs' },
            container: {
              resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
            },
          });
          expect(context.maximums.map((maximum) => maximum.text).sort()).toEqual(['2', '4', '4Gi', '8Gi']);
          expect(JSON.stringify(context.template)).toContain('"mountPath":"/home/src/mage_data"');
        }
      }
    }
  });

  it('renders objects the API server accepts (server-side dry run of every object, every values file)', async () => {
    const api = KubernetesObjectApi.makeApiClient(admin);
    const jobNamespaces = new Set<string>();
    const renders = valuesFiles.map((file) => {
      const objects = render(
        `kdd-${valuesFiles.indexOf(file)}`,
        `kdd-${id}`,
        '--values',
        join(VALUES_DIR, file),
        '--api-versions',
        SERVICE_MONITOR_API,
      );
      for (const object of objects) if (object.kind === 'Namespace') jobNamespaces.add(object.metadata!.name!);
      return { file, objects };
    });
    // Namespaces first, as dry runs (they do not exist yet), then for real so the rest can be tried in them.
    for (const { file, objects } of renders) {
      for (const object of objects.filter((o) => o.kind === 'Namespace'))
        await expect(api.create(object, undefined, 'All'), file).resolves.toBeDefined();
    }
    for (const name of [`kdd-${id}`, ...jobNamespaces]) await createNamespace(name);
    const kinds = new Set<string>();
    for (const { file, objects } of renders) {
      for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
        kinds.add(object.kind);
        await api.create(object, undefined, 'All').catch((error: { body?: unknown }) => {
          throw new Error(
            `${file}: ${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}: ` +
              JSON.stringify(error.body ?? error),
          );
        });
      }
    }
    expect([...kinds].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Ingress',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'ScaledObject',
      'Secret',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'StatefulSet',
      'TriggerAuthentication',
    ]);
  });

  it('renders a ServiceMonitor only where the API has one, else scrape annotations', () => {
    const values = ['--values', join(VALUES_DIR, 'default-values.yaml')];
    const without = render('kd', 'kubedispatch', ...values);
    const withIt = render('kd', 'kubedispatch', ...values, '--api-versions', SERVICE_MONITOR_API);
    const annotations = (objects: Rendered[]) =>
      (objects.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template.metadata!.annotations!;
    expect(without.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    expect(annotations(without)['prometheus.io/scrape']).toBe('true');
    expect(withIt.some((o) => o.kind === 'ServiceMonitor')).toBe(true);
    expect(annotations(withIt)['prometheus.io/scrape']).toBeUndefined();
  });

  describe('helm install and upgrade', () => {
    const namespace = `kdh-${id}`;
    const jobNamespaces = [`kdh-${id}-a`, `kdh-${id}-b`];
    const serve = ['scheduler', 'dispatcher', 'watcher', 'dashboard'].flatMap((component) => [
      '--set-string',
      `${component}.podAnnotations.sim\\.kubedispatch\\.io/behavior=serve`,
    ]);
    const values = [
      '--values',
      join(VALUES_DIR, 'default-values.yaml'),
      '--set',
      `jobNamespaces={${jobNamespaces.join(',')}}`,
      ...serve,
    ];
    const common = ['--namespace', namespace, '--kubeconfig', kubeconfigPath ?? '', '--wait', '--timeout', '150s'];
    const token = async () => {
      const secret = await admin
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ name: 'kubedispatch-auth', namespace });
      return Buffer.from(secret.data!['KUBEDISPATCH_AUTH_TOKEN']!, 'base64').toString('utf8');
    };
    const available = async (name: string) => {
      const deployment = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
      return { wanted: deployment.spec?.replicas, available: deployment.status?.availableReplicas ?? 0 };
    };

    beforeAll(async () => {
      // The claim the scheduler and the dashboard read the project from, bound to a volume of its own.
      await createNamespace(namespace);
      createdNamespaces.push(...jobNamespaces);
      const core = admin.makeApiClient(CoreV1Api);
      await core.createPersistentVolume({
        body: {
          metadata: { name: `${namespace}-project` },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadOnlyMany'],
            storageClassName: '',
            hostPath: { path: '/tmp/kd-project' },
            claimRef: { namespace, name: 'mage-project' },
          },
        },
      });
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: 'mage-project' },
          spec: {
            accessModes: ['ReadOnlyMany'],
            storageClassName: '',
            volumeName: `${namespace}-project`,
            resources: { requests: { storage: '1Gi' } },
          },
        },
      });
    });

    it("installs: every Deployment becomes available on kwok's nodes, with a generated 64-character token", async () => {
      helmOk('install', 'kubedispatch', CHART, ...values, ...common);
      for (const component of ['scheduler', 'dispatcher', 'watcher', 'dashboard']) {
        const state = await available(`kubedispatch-${component}`);
        expect(state.available, component).toBe(state.wanted);
      }
      expect((await available('kubedispatch-dispatcher')).wanted).toBe(3);
      expect(await token()).toMatch(/^[A-Za-z0-9]{64}$/);
    });

    it('upgrades: the new values apply, the token stays the same (lookup)', async () => {
      const before = await token();
      helmOk('upgrade', 'kubedispatch', CHART, ...values, '--set', 'dispatcher.replicas=2', ...common);
      expect(await available('kubedispatch-dispatcher')).toEqual({ wanted: 2, available: 2 });
      expect(await token()).toBe(before);
    });

    /** A kubeconfig of the chart's service account, with a token from the TokenRequest API. */
    const serviceAccountConfig = async (): Promise<KubeConfig> => {
      const issued = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        name: 'kubedispatch',
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const cluster = admin.getCurrentCluster()!;
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [cluster],
        users: [{ name: 'sa', token: issued.status!.token }],
        contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
        currentContext: 'sa',
      });
      return config;
    };

    it("lets the chart's service account do the processes' work in each Job namespace, nothing in its own", async () => {
      const asServiceAccount = await serviceAccountConfig();
      const authz = asServiceAccount.makeApiClient(AuthorizationV1Api);
      const can = async (verb: string, resource: string, inNamespace: string, group = '', subresource = '') =>
        (
          await authz.createSelfSubjectAccessReview({
            body: { spec: { resourceAttributes: { verb, resource, namespace: inNamespace, group, subresource } } },
          })
        ).status!.allowed;
      const granted: [string, string, string, string?][] = [
        ['create', 'jobs', 'batch'],
        ['get', 'jobs', 'batch'],
        ['list', 'jobs', 'batch'],
        ['watch', 'jobs', 'batch'],
        ['delete', 'jobs', 'batch'],
        ['list', 'pods', ''],
        ['watch', 'pods', ''],
        ['get', 'pods', '', 'log'],
        ['list', 'events', ''],
        ['create', 'events', ''],
      ];
      const refused: [string, string, string][] = [
        ['get', 'secrets', ''],
        ['list', 'secrets', ''],
        ['get', 'pods', ''],
        ['create', 'pods', ''],
        ['update', 'jobs', 'batch'],
        ['patch', 'jobs', 'batch'],
        ['get', 'configmaps', ''],
        ['create', 'leases', 'coordination.k8s.io'],
      ];
      for (const jobNamespace of jobNamespaces) {
        for (const [verb, resource, group, subresource] of granted)
          expect(
            await can(verb, resource, jobNamespace, group, subresource),
            `${verb} ${resource} in ${jobNamespace}`,
          ).toBe(true);
        for (const [verb, resource, group] of refused)
          expect(await can(verb, resource, jobNamespace, group), `${verb} ${resource} in ${jobNamespace}`).toBe(false);
      }
      for (const [verb, resource, group, subresource] of [...granted, ...refused]) {
        expect(
          await can(verb, resource, namespace, group, subresource),
          `${verb} ${resource} in its own namespace`,
        ).toBe(false);
        expect(await can(verb, resource, '', group, subresource), `${verb} ${resource} cluster-wide`).toBe(false);
      }
    });

    it("runs a pipeline through the installed objects: the dashboard API with the release's token, its settings, job template, service account", async () => {
      const core = admin.makeApiClient(CoreV1Api);
      // The Jobs mount the project claim through the chart's job template: it must exist in their namespace.
      await core.createPersistentVolume({
        body: {
          metadata: { name: `${jobNamespaces[0]}-project` },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadOnlyMany'],
            storageClassName: '',
            hostPath: { path: '/tmp/kd-project' },
            claimRef: { namespace: jobNamespaces[0], name: 'mage-project' },
          },
        },
      });
      await core.createNamespacedPersistentVolumeClaim({
        namespace: jobNamespaces[0]!,
        body: {
          metadata: { name: 'mage-project' },
          spec: {
            accessModes: ['ReadOnlyMany'],
            storageClassName: '',
            volumeName: `${jobNamespaces[0]}-project`,
            resources: { requests: { storage: '1Gi' } },
          },
        },
      });
      // What the installed dispatcher reads: its ConfigMaps (as files here) and its Deployment's env.
      const settingsFile = join(work, 'installed-settings.yaml');
      writeFileSync(
        settingsFile,
        (await core.readNamespacedConfigMap({ name: 'kubedispatch-settings', namespace })).data!['kubedispatch.yaml']!,
      );
      const templateFile = join(work, 'installed-job-template.yaml');
      writeFileSync(
        templateFile,
        (await core.readNamespacedConfigMap({ name: 'kubedispatch-executor', namespace })).data![
          'k8s-job-template.yaml'
        ]!,
      );
      const deployment = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: 'kubedispatch-dispatcher', namespace });
      // A Deployment's literal env (the Secret-backed values are given by the test).
      const literalEnv = async (name: string): Promise<Record<string, string>> => {
        const read = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
        const env: Record<string, string> = {};
        for (const variable of read.spec!.template.spec!.containers[0]!.env!) {
          if (variable.value !== undefined && variable.name !== 'KUBEDISPATCH_CONFIG')
            env[variable.name] = variable.value;
        }
        return env;
      };
      const executorEnv: Record<string, string> = {};
      for (const variable of deployment.spec!.template.spec!.containers[0]!.env!) {
        if (variable.value !== undefined && variable.name !== 'KUBEDISPATCH_CONFIG')
          executorEnv[variable.name] = variable.value;
      }
      const installedTemplatePath = executorEnv['K8S_CONFIG_FILE'];
      expect(installedTemplatePath).toBeDefined();
      executorEnv['K8S_CONFIG_FILE'] = templateFile;
      const saKubeconfig = join(work, 'sa.kubeconfig');
      writeFileSync(saKubeconfig, (await serviceAccountConfig()).exportConfig(), { mode: 0o600 });
      // Redis is the tests' own (the installed pods run nowhere); finished Jobs are kept to be looked at.
      const processEnv = {
        KUBEDISPATCH_CONFIG: settingsFile,
        KUBECONFIG: saKubeconfig,
        KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false',
      };
      const h = await dispatchHarness();
      try {
        const settings = loadSettings(h.env(processEnv));
        expect(settings.kube.namespaces).toEqual(jobNamespaces);
        const serviceAccount = new KubeConfig();
        serviceAccount.loadFromFile(saKubeconfig);
        // The real watcher on the real cluster (the harness's own watcher would watch its simulation).
        const realWatcher = createWatcher({
          settings,
          cluster: openCluster(settings, {}, { kubeConfig: serviceAccount }),
          redis: h.redis.connect(),
          logger: createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent', 'helm-e2e'),
        });
        realWatcher.start();
        try {
          await h.startDispatcher(processEnv, { env: executorEnv });
          // The run is created as a user creates it: through the dashboard's API, with the token the
          // release generated. The dashboard's pod runs nowhere under kwok, so the dashboard process
          // (openRunContext + startDashboard, as src/processes/dashboard-process.ts) runs here, from
          // the release's settings, on a loopback port.
          const apiToken = await token();
          const dashboardSettings = loadSettings(h.env({ ...processEnv, KUBEDISPATCH_AUTH_TOKEN: apiToken }));
          const projectDir = h.project([{ uuid: 'extract' }, { uuid: 'load', upstream: ['extract'] }], 'helm');
          const dashboardEnv = await literalEnv('kubedispatch-dashboard');
          // Run creation renders every block to check it: the dashboard needs the same job template.
          expect(dashboardEnv['K8S_CONFIG_FILE']).toBe(installedTemplatePath);
          dashboardEnv['K8S_CONFIG_FILE'] = templateFile;
          const context = await openRunContext(dashboardSettings, dashboardEnv, {
            projectDir,
            kubeconfig: saKubeconfig,
          });
          const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent', 'helm-dashboard');
          const dashboard = await startDashboard(context, dashboardSettings, logger, { host: '127.0.0.1', port: 0 });
          let runId: number;
          try {
            const url = `${dashboard.url}/api/v1/pipelines/pipeline/runs`;
            const post = (authorization: string) =>
              fetch(url, {
                method: 'POST',
                headers: { authorization, 'content-type': 'application/json' },
                body: '{}',
              });
            expect((await post('Bearer wrong-token-0123456789abcdef0123456789')).status).toBe(401);
            const created = await post(`Bearer ${apiToken}`);
            expect(created.status, await created.clone().text()).toBe(201);
            runId = ((await created.json()) as { id: number }).id;
          } finally {
            await dashboard.close();
            await context.close();
          }
          const run = await h.waitForRun(runId, 120_000);
          expect(run.blocks.map((block) => [block.blockUuid, block.state])).toEqual([
            ['extract', 'succeeded'],
            ['load', 'succeeded'],
          ]);
          const jobs = (await admin.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: jobNamespaces[0]! }))
            .items;
          expect(jobs.map((job) => job.metadata!.name).sort()).toEqual(
            run.blocks.map((block) => `mage-helm-block-${block.blockRunId}`).sort(),
          );
          for (const job of jobs) {
            const pod = job.spec!.template.spec!;
            expect(pod.volumes).toContainEqual({
              name: 'kubedispatch-project',
              persistentVolumeClaim: { claimName: 'mage-project', readOnly: true },
            });
            expect(pod.containers[0]!.volumeMounts).toContainEqual({
              name: 'kubedispatch-project',
              mountPath: '/home/src/project',
              readOnly: true,
            });
            expect([...(pod.containers[0]!.command ?? []), ...(pod.containers[0]!.args ?? [])]).toContain(
              '/home/src/project',
            );
          }
        } finally {
          await realWatcher.stop();
        }
      } finally {
        await h.cleanup();
      }
    });
  });
});
