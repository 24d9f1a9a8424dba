/**
 * Users write keys in Mage's snake_case or the API's camelCase. Comparing keys with underscores
 * removed and case folded matches both, including the API's acronyms (`host_ipc` → `hostIPC`).
 */
export function keyMatchForm(key: string): string {
  return key.replaceAll('_', '').toLowerCase();
}

/** The snake_case spelling shown in messages, since Mage's documentation writes keys that way. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}
