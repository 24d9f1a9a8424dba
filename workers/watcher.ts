/**
 * Watcher process: decides the outcome of every block run's Job from what Kubernetes reports.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { runWorker } from '../src/processes/run-service.ts';
import { startWatcherProcess } from '../src/processes/watcher-process.ts';

await runWorker('watcher', startWatcherProcess);
