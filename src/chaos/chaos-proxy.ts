import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { readBody, sendJson } from '../sim/http-json.ts';
import { listenWithKubeconfig, type EndpointOptions } from '../sim/loopback-endpoint.ts';
import { parseRequestInfo } from '../sim/request-info.ts';
import { expired, failure } from '../sim/status.ts';
import { FaultPlan, type RequestFaults } from './fault-plan.ts';
import { ADMIN_PATH, FaultRulesError, validateFaultRules, type FaultRules } from './fault-rules.ts';
import { injectedStatus } from './injected-status.ts';
import { cutAfterEvents } from './watch-cutter.ts';

export interface ChaosProxyOptions extends EndpointOptions {
  targetKubeconfig: string;
  faults?: FaultRules;
}

export interface ChaosProxy {
  url: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  setFaults(rules: FaultRules): void;
  faults(): FaultRules;
  stop(): Promise<void>;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A loopback HTTP proxy in front of any API server (the target kubeconfig's current context) that
 * injects faults by verb and resource. Clients reach it through the kubeconfig it writes.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const target = new KubeConfig();
  target.loadFromFile(options.targetKubeconfig);
  const cluster = target.getCurrentCluster();
  if (!cluster) throw new Error(`${options.targetKubeconfig} has no current cluster`);
  const base = new URL(cluster.server);
  const transport = base.protocol === 'https:' ? https : http;
  const upstreamOptions: https.RequestOptions = {};
  await target.applyToHTTPSOptions(upstreamOptions);
  const agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const basePath = base.pathname.replace(/\/$/, '');
  let plan = new FaultPlan(validateFaultRules(options.faults ?? { rules: [] }));

  function forward(request: IncomingMessage, response: ServerResponse, faults: RequestFaults): void {
    const headers = { ...request.headers, ...(upstreamOptions.headers as Record<string, string> | undefined) };
    delete headers.host;
    const upstream = transport.request({
      ...upstreamOptions,
      agent,
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port,
      method: request.method,
      path: basePath + (request.url ?? '/'),
      headers,
    });
    request.pipe(upstream);
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      const cut = faults.cut;
      if (cut?.afterMs !== undefined) {
        const timer = setTimeout(() => response.end(), cut.afterMs);
        response.once('close', () => clearTimeout(timer));
      }
      if (cut?.afterEvents !== undefined) cutAfterEvents(answer, response, cut.afterEvents);
      else answer.pipe(response);
    });
    upstream.on('error', (error) => {
      // Also raised when the client went away first and the upstream request was torn down.
      if (response.destroyed) return;
      if (!response.headersSent)
        sendJson(response, 502, failure(502, 'InternalError', `chaos proxy: upstream failed: ${error.message}`));
      else response.destroy();
    });
    response.once('close', () => upstream.destroy());
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://chaos.invalid');
    if (url.pathname === ADMIN_PATH) {
      if (request.method === 'PUT') {
        plan = new FaultPlan(validateFaultRules(JSON.parse(await readBody(request))));
      }
      sendJson(response, 200, plan.rules);
      return;
    }
    const info = parseRequestInfo(request.method ?? 'GET', url.pathname, url.searchParams);
    const faults = info ? plan.decide(info.verb, info.resource) : { latencyMs: 0 };
    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    const failed = faults.failure;
    if (failed?.fault === 'reset') {
      request.socket.resetAndDestroy();
      return;
    }
    if (failed?.fault === 'error') {
      const status = injectedStatus(failed.code, failed.retryAfterSeconds);
      const retryAfter = status.details?.retryAfterSeconds;
      sendJson(response, failed.code, status, retryAfter ? { 'Retry-After': String(retryAfter) } : {});
      return;
    }
    if (failed?.fault === 'gone') {
      // What the API server streams when a watch asks for a compacted version.
      const requested = url.searchParams.get('resourceVersion') ?? '0';
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(`{"type":"ERROR","object":${JSON.stringify(expired(requested, Number(requested) + 1))}}\n`);
      return;
    }
    forward(request, response, faults);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      const code = thrown instanceof FaultRulesError || thrown instanceof SyntaxError ? 400 : 500;
      if (!response.headersSent)
        sendJson(response, code, failure(code, code === 400 ? 'BadRequest' : 'InternalError', message));
    });
  });
  const endpoint = await listenWithKubeconfig(server, options, 'kubedispatch-chaos');

  return {
    url: endpoint.url,
    kubeconfigPath: endpoint.kubeconfigPath,
    kubeConfig: endpoint.kubeConfig,
    setFaults(rules) {
      plan = new FaultPlan(validateFaultRules(rules));
    },
    faults: () => plan.rules,
    async stop() {
      agent.destroy();
      await endpoint.close();
    },
  };
}
