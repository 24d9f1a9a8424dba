import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { dump } from 'js-yaml';

/**
 * A kubeconfig for a plain-http loopback server. The client refuses http:// unless the cluster
 * entry says skipTLSVerify; the token is accepted by the simulation whatever it is.
 */
export function kubeconfigYaml(url: string, contextName: string): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: contextName, user: { token: 'kubedispatch-sim' } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName, namespace: 'default' } }],
    'current-context': contextName,
  });
}

export function writeKubeconfig(path: string, url: string, contextName: string): KubeConfig {
  const yaml = kubeconfigYaml(url, contextName);
  writeFileSync(path, yaml, { mode: 0o600 });
  const config = new KubeConfig();
  config.loadFromString(yaml);
  return config;
}
