/**
 * The simulated cluster in a process of its own for the benchmark, so that the load generator does
 * not share its event loop, and so that its CPU time per request can be measured. Talks over IPC:
 * sends { url, kubeconfigPath } when listening, answers 'usage' with CPU, memory and request counts,
 * and stops on 'stop'.
 */
import { startSimCluster } from '../../src/sim/sim-cluster.ts';

const sim = await startSimCluster();
const send = (message: unknown): void => {
  process.send?.(message);
};
send({ url: sim.url, kubeconfigPath: sim.kubeconfigPath });
process.on('message', async (message) => {
  if (message === 'usage') {
    send({ cpu: process.cpuUsage(), memory: process.memoryUsage(), requests: sim.stats() });
  } else if (message === 'stop') {
    await sim.stop();
    process.disconnect();
  }
});
