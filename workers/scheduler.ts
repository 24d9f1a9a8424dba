/**
 * Scheduler process: keeps schedules in step with the project's triggers.yaml files, turns ticks
 * into runs and sweeps active runs. Settings come from the environment (and KUBEDISPATCH_CONFIG);
 * `kubedispatch scheduler --http` also serves the HTTP API. Stops cleanly on SIGTERM/SIGINT.
 */
import { runWorker } from '../src/processes/run-service.ts';
import { startSchedulerProcess } from '../src/processes/scheduler-process.ts';

await runWorker('scheduler', startSchedulerProcess);
