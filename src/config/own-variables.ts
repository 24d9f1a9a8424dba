/**
 * Environment variables that belong to kubedispatch itself (its Redis URL, which may carry a
 * password, its API token and every other `KUBEDISPATCH_*` setting). Mage project files are
 * rendered with `env_var()` in kubedispatch's processes, so these are never handed to templates.
 */
export const OWN_VARIABLE_PREFIX = 'KUBEDISPATCH_';
const OWN_VARIABLES = new Set(['REDIS_URL']);

export function isOwnVariable(name: string): boolean {
  return name.startsWith(OWN_VARIABLE_PREFIX) || OWN_VARIABLES.has(name);
}
