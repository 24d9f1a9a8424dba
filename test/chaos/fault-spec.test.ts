import { describe, expect, it } from 'vitest';
import { faultRulesFromSpecs, parseFaultSpec } from '../../src/chaos/fault-spec.ts';
import { FaultRulesError } from '../../src/chaos/fault-rules.ts';

describe('fault rules from the command line', () => {
  it.each([
    ['latency:ms=200', { fault: 'latency', ms: 200 }],
    [
      'error:code=429,retryAfterSeconds=2,every=3,verbs=create+list,resources=jobs',
      {
        fault: 'error',
        code: 429,
        retryAfterSeconds: 2,
        every: 3,
        verbs: ['create', 'list'],
        resources: ['jobs'],
      },
    ],
    ['reset:rate=0.25', { fault: 'reset', rate: 0.25 }],
    ['cut-watch:afterEvents=5', { fault: 'cut-watch', afterEvents: 5 }],
    ['gone', { fault: 'gone' }],
  ])('reads %s', (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual(expected);
    expect(faultRulesFromSpecs([spec], 7)).toEqual({ seed: 7, rules: [expected] });
  });

  it.each([
    ['error:code=418', /code must be one of 429, 500, 503, 504/],
    ['cut-watch', /needs afterMs or afterEvents/],
    ['reset:rate=2', /rate must be between 0 and 1/],
    ['error:code', /not key=value/],
    ['explode', /fault must be one of/],
  ])('rejects %s', (spec, message) => {
    expect(() => faultRulesFromSpecs([spec], undefined)).toThrow(FaultRulesError);
    expect(() => faultRulesFromSpecs([spec], undefined)).toThrow(message);
  });
});
