// Creates the objects of one or more YAML files on the cluster of a kubeconfig (a tiny `kubectl create -f`
// for test/cluster, which has no kubectl). Objects that already exist are replaced.
// Usage: node test/cluster/kapply.mjs KUBECONFIG FILE...
import { readFileSync } from 'node:fs';
import { KubeConfig, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node';

const [kubeconfigPath, ...files] = process.argv.slice(2);
if (!kubeconfigPath || files.length === 0) {
  console.error('usage: node test/cluster/kapply.mjs KUBECONFIG FILE...');
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = KubernetesObjectApi.makeApiClient(kc);
for (const file of files) {
  for (const obj of loadAllYaml(readFileSync(file, 'utf8')).filter(Boolean)) {
    const what = `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
    try {
      await client.create(obj);
      console.log(`created ${what}`);
    } catch (err) {
      if (err?.code !== 409) throw err;
      const current = await client.read(obj);
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      await client.replace(obj);
      console.log(`replaced ${what}`);
    }
  }
}
