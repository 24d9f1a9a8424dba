/**
 * Every process's V8 heap limit, as the chart's defaults set it, fits in its pod's memory limit with
 * room to spare for what Node holds outside the heap: otherwise V8 grows the heap past the limit and
 * the pod is OOM-killed instead of collecting harder. The heap limit is V8's own (`heap_size_limit`:
 * the old generation plus the young one), read from a Node started with the flags the Deployment sets.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { type ShippedRole, shippedNodeFlags } from '../../bench/support/shipped-node-flags.ts';

interface ProcessValues {
  maxOldSpaceSizeMb: number;
  maxSemiSpaceSizeMb?: number;
  resources: { limits: { memory: string } };
}

const values = load(readFileSync(new URL('../../charts/kubedispatch/values.yaml', import.meta.url), 'utf8')) as Record<
  ShippedRole,
  ProcessValues
>;
const ROLES: ShippedRole[] = ['scheduler', 'dispatcher', 'watcher', 'dashboard'];
const MIB = 2 ** 20;
/** What Node and its native memory (buffers, the Kubernetes client's sockets) need beside the heap. */
const HEAP_SHARE_OF_LIMIT = 3 / 4;

const UNITS: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: MIB, Gi: 2 ** 30 };

/** Bytes of a Kubernetes memory quantity in the units the chart uses (e.g. 512Mi, 1Gi). */
function bytesOf(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`memory limit ${JSON.stringify(quantity)}: expected a whole number of Ki, Mi or Gi`);
  return Number(match[1]) * UNITS[match[2] ?? '']!;
}

/** V8's heap limit in a Node started with `flags`. */
function heapSizeLimit(flags: string[]): number {
  const limit = 'require("node:v8").getHeapStatistics().heap_size_limit';
  return Number(execFileSync(process.execPath, [...flags, '-p', limit], { encoding: 'utf8' }));
}

describe('heap limits of the chart', () => {
  it('parses the memory quantities it compares with', () => {
    expect(bytesOf('512Mi')).toBe(512 * MIB);
    expect(bytesOf('1Gi')).toBe(1024 * MIB);
    expect(() => bytesOf('1.5G')).toThrow('memory limit "1.5G": expected a whole number of Ki, Mi or Gi');
  });

  it.each(ROLES)('the %s runs with the flags its values name (k8s/, the chart rendered)', (role) => {
    const { maxOldSpaceSizeMb, maxSemiSpaceSizeMb } = values[role];
    expect(shippedNodeFlags(role)).toEqual([
      ...(maxOldSpaceSizeMb ? [`--max-old-space-size=${maxOldSpaceSizeMb}`] : []),
      ...(maxSemiSpaceSizeMb ? [`--max-semi-space-size=${maxSemiSpaceSizeMb}`] : []),
    ]);
  });

  it.each(ROLES)("the %s's heap limit is at most 3/4 of its memory limit", (role) => {
    const memoryLimit = bytesOf(values[role].resources.limits.memory);
    const heapLimit = heapSizeLimit(shippedNodeFlags(role));
    expect(heapLimit / MIB, `${role}: heap limit in MiB`).toBeLessThanOrEqual(
      (memoryLimit * HEAP_SHARE_OF_LIMIT) / MIB,
    );
  });
});
