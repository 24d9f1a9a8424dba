import type { Request, RequestHandler, Response } from 'express';
import { normaliseHost } from './allowed-hosts.ts';

/**
 * No page of the dashboard may be framed by another site (clickjacking: Bull Board's retry and clean
 * buttons, the runs pages' cancel). The runs pages send a fuller CSP of their own, which replaces this one.
 */
export function noFraming(): RequestHandler {
  return (_request, response, next) => {
    response.set('X-Frame-Options', 'DENY').set('Content-Security-Policy', "frame-ancestors 'none'");
    next();
  };
}

/** Methods that change something; every other one only reads. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isWrite(request: Request): boolean {
  return WRITE_METHODS.has(request.method);
}

function forbidden(response: Response, error: string, message: string): void {
  response.status(403).json({ error, message });
}

/**
 * Refuses a request whose Host is not one of `hosts` (DNS rebinding: a page of another site whose
 * name was pointed at this address sends its own name as Host), or whose Origin is not this
 * dashboard's own (a page of another site, CSRF). With or without a token: a browser sends the
 * cookie or cached Basic credentials by itself.
 *
 * An Origin is the dashboard's own when its host and port are the request's Host, or when its host
 * is one the operator allowed explicitly (a reverse proxy may change the Host it forwards).
 * Requests without Origin (curl, pods, a browser's own navigation) are not cross-site requests.
 */
export function sameSiteOnly(hosts: readonly string[], proxiedHosts: readonly string[]): RequestHandler {
  const allowed = new Set(hosts);
  const proxied = new Set(proxiedHosts.map(normaliseHost).filter((host) => host !== undefined));
  const hint = 'add the name it is reached by to http.allowedHosts (KUBEDISPATCH_HTTP_ALLOWED_HOSTS)';
  return (request, response, next) => {
    const hostHeader = request.headers.host ?? '';
    const host = normaliseHost(hostHeader);
    if (host === undefined || !allowed.has(host)) {
      return forbidden(
        response,
        'forbidden_host',
        `Host is not a name of this dashboard (DNS rebinding protection); ${hint}`,
      );
    }
    const origin = request.headers.origin;
    if (origin === undefined) return next();
    let originUrl: URL | undefined;
    try {
      originUrl = new URL(origin);
    } catch {
      originUrl = undefined;
    }
    const sameOrigin =
      originUrl !== undefined &&
      (originUrl.protocol === 'http:' || originUrl.protocol === 'https:') &&
      (originUrl.host === hostAndPort(hostHeader, originUrl.protocol) || proxied.has(originUrl.hostname));
    if (!sameOrigin)
      return forbidden(
        response,
        'forbidden_origin',
        `Origin is not this dashboard (cross-site request refused); open the dashboard by its own address, or ${hint}`,
      );
    next();
  };
}

/** A Host header as an origin of `protocol` writes it (no default port, lower case). */
function hostAndPort(hostHeader: string, protocol: string): string | undefined {
  try {
    return new URL(`${protocol}//${hostHeader.trim()}`).host;
  } catch {
    return undefined;
  }
}

/** `application/json`, with no charset or UTF-8 (JSON text is UTF-8: RFC 8259). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type = '', ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return parameters.every((parameter) => parameter === '' || /^charset="?utf-8"?$/.test(parameter));
}

/**
 * Writes must say `Content-Type: application/json` (415 otherwise), bodiless ones too: a page of
 * another site can send `text/plain`, form and bodiless requests without asking the browser
 * first, but not JSON.
 */
export function jsonWritesOnly(): RequestHandler {
  return (request, response, next) => {
    if (!isWrite(request) || isJsonContentType(request.headers['content-type'])) return next();
    response.status(415).json({
      error: 'unsupported_media_type',
      message: `${request.method} needs "Content-Type: application/json" (UTF-8), also without a body`,
    });
  };
}

/**
 * Bull Board's own writes carry no content type (its client sends bodiless PUTs), so /ui writes
 * need a same-origin `Origin` instead: browsers send it with every write, and `sameSiteOnly`
 * has checked it by then. A write without one is not from the dashboard's page.
 */
export function originRequiredForWrites(): RequestHandler {
  return (request, response, next) => {
    if (!isWrite(request) || request.headers.origin !== undefined) return next();
    forbidden(
      response,
      'origin_required',
      `${request.method} on the dashboard UI needs the Origin header a browser sends; use the HTTP API under /api/v1 from scripts`,
    );
  };
}
