import { Counter } from 'prom-client';

/** Runs of a trigger with `sla` that were not finished `sla` seconds after their execution date (Mage's passed_sla). */
export const slaBreaches = new Counter({
  name: 'kubedispatch_trigger_sla_breaches_total',
  help: "Runs marked passed_sla: not finished within their trigger's sla seconds after the execution date",
  labelNames: ['pipeline', 'trigger'] as const,
});
