// Part of the real-control-plane harness (started by up.sh, stopped by down.sh). Gives kwok's fake
// kubelet the two behaviours a kwok Stage cannot express, because a Stage only sees the pod it acts on
// and writes status, not files:
//  1. sim.kubedispatch.io/failures-before-success ("the first N pods of the Job fail") needs the pod's
//     position among its Job's pods: written to the annotation sim.kubedispatch.io/ordinal (0 for the
//     first, by creation time, as the simulation counts); the Stages wait for it before running such a pod.
//  2. sim.kubedispatch.io/logs: the log lines are written to a CRI-format log file, and a kwok `Logs`
//     object (kwok --enable-crds=Logs) points kwok's kubelet API at it, so pods/log through the real API
//     server returns them (tailLines included). Pods that never start a container get no Logs object, so
//     kwok answers their log request with 400, as a kubelet does.
// Usage: node test/cluster/kwok-helper.mjs KUBECONFIG LOG_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';

const FBS = 'sim.kubedispatch.io/failures-before-success';
const ORDINAL = 'sim.kubedispatch.io/ordinal';
const LOGS = 'sim.kubedispatch.io/logs';
const BEHAVIOR = 'sim.kubedispatch.io/behavior';
const NEVER_START = new Set(['image-pull-backoff', 'create-container-config-error', 'unschedulable']);
const JOB_UID = 'batch.kubernetes.io/controller-uid';

const [kubeconfigPath, logDir] = process.argv.slice(2);
mkdirSync(logDir, { recursive: true });
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ordinalDone = new Set();
const logsDone = new Set();
const errText = (e) => e?.body ?? e?.message ?? String(e);

async function annotateOrdinal(pod) {
  const { name, namespace, uid, labels = {}, annotations = {} } = pod.metadata;
  if (!(FBS in annotations) || ORDINAL in annotations || ordinalDone.has(uid) || !labels[JOB_UID]) return;
  ordinalDone.add(uid);
  const siblings = await core.listNamespacedPod({ namespace, labelSelector: `${JOB_UID}=${labels[JOB_UID]}` });
  const order = siblings.items
    .map((p) => p.metadata)
    .sort((a, b) => new Date(a.creationTimestamp) - new Date(b.creationTimestamp) || a.name.localeCompare(b.name));
  const ordinal = Math.max(
    order.findIndex((m) => m.uid === uid),
    0,
  );
  await core.patchNamespacedPod({
    name,
    namespace,
    body: [{ op: 'add', path: `/metadata/annotations/${ORDINAL.replace('/', '~1')}`, value: String(ordinal) }],
  });
  console.log(`${namespace}/${name}: ordinal ${ordinal}`);
}

async function provideLogs(pod) {
  const { name, namespace, uid, annotations = {} } = pod.metadata;
  if (!pod.spec?.nodeName || logsDone.has(uid) || NEVER_START.has(annotations[BEHAVIOR])) return;
  logsDone.add(uid);
  const lines = LOGS in annotations ? annotations[LOGS].split('\n') : [`pod ${name} ran`];
  const file = join(logDir, `${namespace}_${name}_${uid}.log`);
  const now = new Date().toISOString().replace('Z', '000000Z');
  writeFileSync(file, lines.map((line) => `${now} stdout F ${line}\n`).join(''));
  const body = {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: { name, namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid }] },
    spec: { logs: [{ logsFile: file, follow: false }] },
  };
  await custom.createNamespacedCustomObject({
    group: 'kwok.x-k8s.io',
    version: 'v1alpha1',
    namespace,
    plural: 'logs',
    body,
  });
}

function handle(pod) {
  annotateOrdinal(pod).catch((e) =>
    console.error(`ordinal ${pod.metadata.namespace}/${pod.metadata.name}: ${errText(e)}`),
  );
  provideLogs(pod).catch((e) => console.error(`logs ${pod.metadata.namespace}/${pod.metadata.name}: ${errText(e)}`));
}

function watch() {
  new Watch(kc)
    .watch(
      '/api/v1/pods',
      {},
      (type, pod) => {
        if (type === 'ADDED' || type === 'MODIFIED') handle(pod);
      },
      (err) => {
        if (err) console.error(`watch ended: ${errText(err)}`);
        setTimeout(watch, 200);
      },
    )
    .catch((e) => {
      console.error(`watch: ${errText(e)}`);
      setTimeout(watch, 1000);
    });
}
watch();
process.on('SIGTERM', () => process.exit(0));
