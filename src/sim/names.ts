import { randomUUID } from 'node:crypto';

// The alphabet Kubernetes uses for generated name suffixes: no vowels (no accidental words), no 0/1/3.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

// Generated names stay within 63 characters: the prefix is cut to leave room for the suffix.
const MAX_GENERATED_PREFIX = 58;

export function generatedName(prefix: string): string {
  let suffix = '';
  // Names need to be unlikely to collide, not unpredictable; a collision is retried by the caller.
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return prefix.slice(0, MAX_GENERATED_PREFIX) + suffix;
}

export function newUid(): string {
  return randomUUID();
}
