import type { Settings } from '../config/settings.ts';

/** Names every dashboard answers to: the loopback names a browser on the same machine uses. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Listen addresses that are no name anyone reaches the dashboard by. */
const WILDCARDS = new Set(['', '0.0.0.0', '[::]']);

/**
 * A host as the Host and Origin checks compare it: lower case, without port or trailing dot, an
 * IPv6 address in brackets, an IPv4 address in dotted form (as browsers send them).
 * Undefined when it is no host at all.
 */
export function normaliseHost(host: string): string | undefined {
  const trimmed = host.trim();
  if (trimmed === '' || /[\s/?#@\\]/.test(trimmed)) return undefined;
  // A bare IPv6 address (a listen address such as ::1) has colons but no brackets.
  const bracketed = !trimmed.startsWith('[') && (trimmed.match(/:/g) ?? []).length > 1 ? `[${trimmed}]` : trimmed;
  try {
    const hostname = new URL(`http://${bracketed}`).hostname;
    return hostname === '' ? undefined : hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The host names a dashboard serves (port ignored): its listen address, the loopback names and
 * `http.allowedHosts`. A request whose Host or Origin names another is refused.
 *
 * Routers that expect requests under another name add it here from their settings, so that the
 * rule stays in one place, as the callback route does with the host of `mage.callbackUrl`.
 */
export function allowedHosts(settings: Settings, listenHost: string = settings.http.host): string[] {
  // Jobs' pods send Mage's status PUT to mage.callbackUrl, under its host.
  return hostList([
    listenHost,
    ...LOOPBACK_NAMES,
    ...settings.http.allowedHosts,
    ...hostOfUrl(settings.mage.callbackUrl),
  ]);
}

/** The hosts a dashboard listening on `listenHost` serves with no `http.allowedHosts` (for tests and embedders). */
export function defaultAllowedHosts(listenHost: string): string[] {
  return hostList([listenHost, ...LOOPBACK_NAMES]);
}

/** The host of a URL setting (e.g. a callback base URL), as an entry of `allowedHosts`; none for an empty or invalid URL. */
export function hostOfUrl(url: string): string[] {
  try {
    return url ? [new URL(url).hostname] : [];
  } catch {
    return [];
  }
}

function hostList(hosts: readonly string[]): string[] {
  const names = hosts.map((host) => (WILDCARDS.has(host.trim()) ? undefined : normaliseHost(host)));
  return [...new Set(names.filter((name): name is string => name !== undefined && !WILDCARDS.has(name)))];
}
