import type { ConfigLayer } from './types.ts';

export const DEFAULT_CONTAINER_NAME = 'mage-job-container';
export const DEFAULT_NAMESPACE = 'default';

/** The lowest layer: Mage's defaults, plus `backoffLimit: 0` so a failed pod is not retried unless asked for. */
export const HARDCODED_DEFAULTS: ConfigLayer = {
  name: 'hardcoded',
  file: 'kubedispatch defaults',
  keyPath: '',
  config: {
    namespace: DEFAULT_NAMESPACE,
    jobNamePrefix: 'data-prep',
    pod: { restartPolicy: 'Never', serviceAccountName: 'default' },
    container: { name: DEFAULT_CONTAINER_NAME, imagePullPolicy: 'IfNotPresent' },
    job: { backoffLimit: 0 },
  },
  spelling: {},
};
