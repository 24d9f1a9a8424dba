/**
 * Dispatcher process: takes block runs from the queue and runs each as a Kubernetes Job.
 * Settings come from the environment (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { startDispatcher } from '../src/dispatch/dispatcher.ts';
import { runWorker } from '../src/process/run-service.ts';

await runWorker('dispatcher', startDispatcher);
