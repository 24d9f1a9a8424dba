import { createHash } from 'node:crypto';

/**
 * A trigger's stable numeric id (Mage's `pipeline_schedule.id`, which callers put in API-trigger
 * URLs and Mage puts first in the execution partition). Derived from (pipeline uuid, trigger name),
 * the key Mage syncs triggers by, instead of allocated: every process computes the same id without
 * coordination, the CLI shows it without Redis, and it survives losing Redis, so a caller's URL
 * never changes under it. 31 bits keep it a positive integer in every database and language; the
 * rare collision inside one project is refused by name (readProjectTriggers).
 */
export function triggerId(pipelineUuid: string, name: string): number {
  const digest = createHash('sha256').update(`${pipelineUuid}\0${name}`).digest();
  return digest.readUInt32BE(0) & 0x7fffffff || 1;
}
