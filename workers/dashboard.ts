/**
 * Dashboard process: HTTP API, Bull Board at /ui and /metrics. Settings come from the environment
 * (and KUBEDISPATCH_CONFIG); stops cleanly on SIGTERM/SIGINT.
 */
import { startDashboardProcess } from '../src/processes/dashboard-process.ts';
import { runWorker } from '../src/processes/run-service.ts';

await runWorker('dashboard', startDashboardProcess);
