import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/input/safe-yaml.ts';
import { render } from '../support/mage-project.ts';

/** The examples of Mage's Kubernetes executor documentation, rendered end to end. */
const yaml = (text: string) => parseYaml(text, 'example.yaml');

describe('reference examples', () => {
  it('block-level configuration', () => {
    const { job, namespace } = render({
      block: yaml(`
namespace: default
resource_limits:
  cpu: 1000m
  memory: 2048Mi
resource_requests:
  cpu: 500m
  memory: 1024Mi
`),
    });
    expect(namespace).toBe('default');
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '1000m', memory: '2048Mi' },
      requests: { cpu: '500m', memory: '1024Mi' },
    });
  });

  it('project-level configuration with node scheduling, volumes and a string image_pull_secrets', () => {
    const { job, name, namespace } = render({
      project: yaml(`
job_name_prefix: data-prep
namespace: default
resource_limits:
  cpu: 1000m
  memory: 2048Mi
resource_requests:
  cpu: 500m
  memory: 1024Mi
service_account_name: default
pod:
  node_selector:
    node-type: gpu
    instance-type: c5.large
  scheduler_name: custom-scheduler
  tolerations:
    - key: "nvidia.com/gpu"
      operator: "Exists"
      effect: "NoSchedule"
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - key: "node-type"
                operator: "In"
                values: ["gpu", "compute"]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector:
            matchLabels:
              app: mage-pipeline
          topologyKey: "kubernetes.io/hostname"
  volumes:
    - name: data-volume
      persistent_volume_claim:
        claim_name: mage-data-pvc
  image_pull_secrets: my-registry-secret
`),
    });
    expect(name).toBe('mage-data-prep-block-42');
    expect(namespace).toBe('default');
    const pod = job.spec?.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'default',
      nodeSelector: { 'node-type': 'gpu', 'instance-type': 'c5.large' },
      schedulerName: 'custom-scheduler',
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'node-type', operator: 'In', values: ['gpu', 'compute'] }] },
            ],
          },
        },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'mage-pipeline' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
      volumes: [{ name: 'data-volume', persistentVolumeClaim: { claimName: 'mage-data-pvc' } }],
      imagePullSecrets: [{ name: 'my-registry-secret' }],
    });
    expect(pod?.containers[0]?.resources).toEqual({
      limits: { cpu: '1000m', memory: '2048Mi' },
      requests: { cpu: '500m', memory: '1024Mi' },
    });
  });

  it('GPU support', () => {
    const { job } = render({
      project: yaml(`
resource_limits:
  nvidia.com/gpu: 1 # request 1 GPU
pod:
  node_selector:
    accelerator: nvidia-tesla-v100
  tolerations:
    - key: "nvidia.com/gpu"
      operator: "Exists"
      effect: "NoSchedule"
`),
    });
    const pod = job.spec?.template.spec;
    expect(pod?.containers[0]?.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    expect(pod?.nodeSelector).toEqual({ accelerator: 'nvidia-tesla-v100' });
    expect(pod?.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('custom container and job spec', () => {
    const { job } = render({
      project: yaml(`
container_config:
  image: mageai/mageai:0.9.7
  env:
    - name: USER_CODE_PATH
      value: /home/src/k8s_project
job:
  active_deadline_seconds: 120
  backoff_limit: 3
  ttl_seconds_after_finished: 86400
`),
    });
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 120, backoffLimit: 3, ttlSecondsAfterFinished: 86400 });
    expect(job.spec?.template.spec?.containers[0]).toMatchObject({
      image: 'mageai/mageai:0.9.7',
      env: [{ name: 'USER_CODE_PATH', value: '/home/src/k8s_project' }],
    });
  });

  it('the full Kubernetes job template from K8S_CONFIG_FILE', () => {
    const { job, namespace } = render({
      template: yaml(`
metadata:
  annotations:
    application: "mage"
    component: "executor"
  labels:
    application: "mage"
    type: "spark"
  namespace: "default"
pod:
  service_account_name: "mage-service-account"
  image_pull_secrets: "my-registry-secret"
  node_selector:
    node-type: "compute"
    instance-type: "c5.xlarge"
    zone: "us-west-1a"
  scheduler_name: "custom-scheduler"
  tolerations:
    - key: "nvidia.com/gpu"
      operator: "Exists"
      effect: "NoSchedule"
    - key: "spot-instance"
      operator: "Equal"
      value: "true"
      effect: "NoSchedule"
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - key: "node-type"
                operator: "In"
                values: ["compute", "gpu"]
              - key: "instance-type"
                operator: "In"
                values: ["c5.xlarge", "c5.2xlarge"]
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          preference:
            matchExpressions:
              - key: "zone"
                operator: "In"
                values: ["us-west-1a", "us-west-1b"]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector:
            matchLabels:
              app: "mage-pipeline"
          topologyKey: "kubernetes.io/hostname"
  volumes:
    - name: data-pvc
      persistent_volume_claim:
        claim_name: mage-data-pvc
    - name: config-volume
      config_map:
        name: mage-config
    - name: secret-volume
      secret:
        secret_name: mage-secrets
    - name: empty-dir-volume
      empty_dir: {}
container:
  name: "mage-data"
  image: "mageai/mageai:latest"
  image_pull_policy: "IfNotPresent"
  env:
    - name: "KUBE_NAMESPACE"
      value: "default"
    - name: "secret_key"
      value: "somesecret"
  resources:
    limits:
      cpu: "1"
      memory: "1Gi"
      nvidia.com/gpu: 1
    requests:
      cpu: "0.1"
      memory: "0.5Gi"
      nvidia.com/gpu: 1
  volume_mounts:
    - mount_path: "/tmp/data"
      name: "data-pvc"
    - mount_path: "/etc/config"
      name: "config-volume"
    - mount_path: "/etc/secrets"
      name: "secret-volume"
      read_only: true
`),
    });
    expect(namespace).toBe('default');
    expect(job.metadata?.labels).toMatchObject({ application: 'mage', type: 'spark' });
    expect(job.metadata?.annotations).toMatchObject({ application: 'mage', component: 'executor' });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ application: 'mage', type: 'spark' });
    const pod = job.spec?.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'mage-service-account',
      imagePullSecrets: [{ name: 'my-registry-secret' }],
      nodeSelector: { 'node-type': 'compute', 'instance-type': 'c5.xlarge', zone: 'us-west-1a' },
      schedulerName: 'custom-scheduler',
      tolerations: [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'spot-instance', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      ],
      volumes: [
        { name: 'data-pvc', persistentVolumeClaim: { claimName: 'mage-data-pvc' } },
        { name: 'config-volume', configMap: { name: 'mage-config' } },
        { name: 'secret-volume', secret: { secretName: 'mage-secrets' } },
        { name: 'empty-dir-volume', emptyDir: {} },
      ],
    });
    expect(pod?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 100,
        preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['us-west-1a', 'us-west-1b'] }] },
      },
    ]);
    expect(pod?.containers).toEqual([
      expect.objectContaining({
        name: 'mage-data',
        image: 'mageai/mageai:latest',
        imagePullPolicy: 'IfNotPresent',
        env: [
          { name: 'KUBE_NAMESPACE', value: 'default' },
          { name: 'secret_key', value: 'somesecret' },
        ],
        resources: {
          limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' },
          requests: { cpu: '0.1', memory: '0.5Gi', 'nvidia.com/gpu': '1' },
        },
        volumeMounts: [
          { mountPath: '/tmp/data', name: 'data-pvc' },
          { mountPath: '/etc/config', name: 'config-volume' },
          { mountPath: '/etc/secrets', name: 'secret-volume', readOnly: true },
        ],
      }),
    ]);
  });

  it('KUBE_NAMESPACE sets the namespace', () => {
    expect(render({ env: { KUBE_NAMESPACE: 'my-namespace' } }).namespace).toBe('my-namespace');
  });
});
