import type { Command } from 'commander';
import { endpointFromFlags, endpointOptions, type EndpointFlags } from '../endpoint-options.ts';
import { positiveNumber } from '../option-parsers.ts';

interface SimCommandOptions extends EndpointFlags {
  timeScale: number;
  podDurationMs: number;
  podFailureBackoffMs: number;
  behaviours?: string;
}

/** `kubedispatch sim`: the simulated cluster as a standalone server, reached through the kubeconfig it writes. */
export function registerSim(program: Command): void {
  const command = program
    .command('sim')
    .description(
      'run a simulated Kubernetes cluster (Jobs, Pods, Events) on loopback; stops cleanly on SIGINT/SIGTERM',
    );
  endpointOptions(command, 'the kubeconfig')
    .option('--time-scale <x>', 'run simulated time this many times faster than wall time', positiveNumber, 1)
    .option('--pod-duration-ms <ms>', 'run time of pods that declare none', positiveNumber, 200)
    .option(
      '--pod-failure-backoff-ms <ms>',
      'first delay before a failed pod is replaced (Kubernetes: 10000)',
      positiveNumber,
      10_000,
    )
    .option(
      '--behaviours <file>',
      'rules giving pods of matching Jobs simulated behaviour (e.g. examples/sim/demo-behaviours.yaml)',
    )
    .action(async (options: SimCommandOptions) => {
      const { createLogger } = await import('../../observability/logger.ts');
      const { runUntilSignal } = await import('../../processes/run-until-signal.ts');
      const { startSimCluster } = await import('../../sim/sim-cluster.ts');
      const { readBehaviourRules } = await import('../../sim/behaviour-rules.ts');
      const behaviourRules = options.behaviours ? readBehaviourRules(options.behaviours) : [];
      const logger = createLogger('info', 'sim');
      await runUntilSignal(
        'simulated cluster',
        async () => {
          const sim = await startSimCluster({
            ...endpointFromFlags(options),
            timeScale: options.timeScale,
            defaultPodDuration: options.podDurationMs,
            podFailureBackoffMs: options.podFailureBackoffMs,
            behaviourRules,
            logger,
          });
          process.stdout.write(`simulated cluster listening on ${sim.url}; kubeconfig: ${sim.kubeconfigPath}\n`);
          return sim;
        },
        logger,
      );
    });
}
