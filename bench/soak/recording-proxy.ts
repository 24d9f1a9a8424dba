/**
 * A plain HTTP proxy in front of an API server that feeds a JobLedger: it counts every request by
 * verb, resource and answer, and records each Job create and delete with the server's answer.
 * A create whose caller went away after sending it whole (a dispatcher SIGKILLed mid-request) is
 * still carried to the server and recorded: the server may well create that Job, and a soak that
 * missed it could miss a duplicate.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenWithKubeconfig, type EndpointOptions, type LoopbackEndpoint } from '../../src/sim/loopback-endpoint.ts';
import { parseRequestInfo, type RequestInfo } from '../../src/sim/request-info.ts';
import type { JobLedger } from './job-ledger.ts';

export interface RecordingProxy {
  url: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const isJobWrite = (info: RequestInfo | undefined): boolean =>
  info?.resource === 'jobs' && info.subresource === undefined && (info.verb === 'create' || info.verb === 'delete');

export async function startRecordingProxy(
  targetUrl: string,
  ledger: JobLedger,
  options: EndpointOptions = {},
): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://recording.invalid');
    const info = parseRequestInfo(request.method ?? 'GET', url.pathname, url.searchParams);
    const recorded = isJobWrite(info);
    const requestChunks: Buffer[] = [];
    const upstream = http.request({
      agent,
      hostname: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: target.host },
    });
    request.on('data', (chunk: Buffer) => {
      if (recorded) requestChunks.push(chunk);
    });
    request.pipe(upstream);
    let answered = false;
    response.on('error', () => undefined);
    response.once('close', () => {
      // An incomplete request can create nothing: drop it. A complete Job write goes on, to be
      // recorded; anything else (watches above all) stops with its caller.
      if (!request.complete || !recorded) upstream.destroy();
      if (!answered && info) ledger.count(info.verb, info.resource, 'aborted');
    });
    upstream.on('error', (error) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(502, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            code: 502,
            message: `recording proxy: ${error.message}`,
          }),
        );
      } else {
        response.destroy();
      }
    });
    upstream.on('response', (answer) => {
      answered = true;
      const status = answer.statusCode ?? 502;
      const responseChunks: Buffer[] = [];
      if (recorded) answer.on('data', (chunk: Buffer) => responseChunks.push(chunk));
      if (info && !recorded) ledger.count(info.verb, info.resource, status);
      answer.on('end', () => {
        if (!info || !recorded) return;
        if (info.verb === 'create')
          ledger.recordCreate(
            info.namespace ?? '',
            Buffer.concat(requestChunks).toString('utf8'),
            status,
            Buffer.concat(responseChunks).toString('utf8'),
          );
        else ledger.recordDelete(info.namespace ?? '', info.name ?? '', status);
      });
      if (response.destroyed) {
        answer.resume();
        return;
      }
      response.writeHead(status, answer.headers);
      response.flushHeaders();
      answer.pipe(response);
    });
  }

  const endpoint: LoopbackEndpoint = await listenWithKubeconfig(http.createServer(handle), options, 'soak-recording');
  return {
    url: endpoint.url,
    kubeconfigPath: endpoint.kubeconfigPath,
    async stop() {
      agent.destroy();
      await endpoint.close();
    },
  };
}
