/**
 * Dispatcher process: takes block runs from the queue and runs each as a Kubernetes Job.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { startDispatcher } from '../src/processes/dispatcher-process.ts';
import { runWorker } from '../src/processes/run-service.ts';

await runWorker('dispatcher', startDispatcher);
