import type { Command } from 'commander';
import type { EndpointOptions } from '../sim/loopback-endpoint.ts';
import { portNumber } from './option-parsers.ts';

export interface EndpointFlags {
  port: number;
  host: string;
  kubeconfigOut?: string;
}

/** Flags of the commands that serve a Kubernetes API on loopback (`sim`, `chaos`); `kubeconfig` names what they write. */
export function endpointOptions(command: Command, kubeconfig: string): Command {
  return command
    .option('--port <n>', 'port to listen on (0: any free port)', portNumber, 0)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--kubeconfig-out <file>', `write ${kubeconfig} here (default: a temporary file, removed on exit)`);
}

export function endpointFromFlags(flags: EndpointFlags): EndpointOptions {
  return { port: flags.port, host: flags.host, ...(flags.kubeconfigOut ? { kubeconfigOut: flags.kubeconfigOut } : {}) };
}
