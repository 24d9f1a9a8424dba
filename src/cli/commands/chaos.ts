import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { faultRulesFromSpecs } from '../../chaos/fault-spec.ts';
import { ADMIN_PATH, validateFaultRules } from '../../chaos/fault-rules.ts';
import { endpointFromFlags, endpointOptions, type EndpointFlags } from '../endpoint-options.ts';
import { positiveInteger } from '../option-parsers.ts';

interface ChaosCommandOptions extends EndpointFlags {
  targetKubeconfig: string;
  fault: string[];
  faultsFile?: string;
  seed?: number;
}

const FAULT_HELP = `
Fault rules (--fault, repeatable): kind[:key=value,...], lists joined with "+".
  latency:ms=200                          add 200 ms to every request
  error:code=429,retryAfterSeconds=2      429 TooManyRequests with Retry-After (codes 429, 500, 503, 504)
  reset:rate=0.05                         reset 5% of connections (seeded by --seed)
  cut-watch:afterMs=5000 | afterEvents=10 end watch streams early
  gone:every=2                            answer every 2nd watch with 410 Expired
Any rule takes verbs=create+list and resources=jobs+pods to narrow it, and every=N or rate=0..1.
At runtime: curl -X PUT <proxy>${ADMIN_PATH} -d '{"seed":1,"rules":[{"fault":"error","code":503,"every":3}]}'`;

/** `kubedispatch chaos`: a fault-injecting proxy in front of any API server. */
export function registerChaos(program: Command): void {
  const command = program
    .command('chaos')
    .description(
      'run a fault-injecting proxy in front of the API server of a kubeconfig; stops cleanly on SIGINT/SIGTERM',
    )
    .requiredOption(
      '--target-kubeconfig <file>',
      'kubeconfig of the API server to sit in front of (its current context)',
    );
  endpointOptions(command, 'the proxy kubeconfig')
    .option(
      '--fault <rule>',
      'a fault rule (repeatable, see below)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--faults-file <file>', 'JSON file of {"seed"?, "rules": [...]}')
    .option('--seed <n>', 'seed for rate-based rules, so runs repeat', positiveInteger)
    .addHelpText('after', FAULT_HELP)
    .action(async (options: ChaosCommandOptions) => {
      const fromFile = options.faultsFile
        ? validateFaultRules(JSON.parse(readFileSync(options.faultsFile, 'utf8')))
        : undefined;
      const faults = faultRulesFromSpecs(options.fault, options.seed, fromFile);
      const { startChaosProxy } = await import('../../chaos/chaos-proxy.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const { runUntilSignal } = await import('../../processes/run-until-signal.ts');
      const logger = createLogger('info', 'chaos');
      await runUntilSignal(
        'chaos proxy',
        async () => {
          const proxy = await startChaosProxy({
            ...endpointFromFlags(options),
            targetKubeconfig: options.targetKubeconfig,
            faults,
          });
          process.stdout.write(
            `chaos proxy listening on ${proxy.url} with ${faults.rules.length} fault rule(s); kubeconfig: ${proxy.kubeconfigPath}; admin: ${proxy.url}${ADMIN_PATH}\n`,
          );
          return proxy;
        },
        logger,
      );
    });
}
