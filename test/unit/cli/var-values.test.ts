import { describe, expect, it } from 'vitest';
import { variablesFromAssignments, variablesFromObject } from '../../../src/runs/run-variables.ts';

describe('--var NAME=VALUE', () => {
  it.each([
    ['n=5', 5],
    ['pi=3.25', 3.25],
    ['flag=true', true],
    ['none=null', null],
    ['s="5"', '5'],
    ['list=[1,"a"]', [1, 'a']],
    ['obj={"a":{"b":[]}}', { a: { b: [] } }],
    ['text=hello', 'hello'],
    ['date=2024-01-01', '2024-01-01'],
    ['broken={"a":', '{"a":'],
    ['empty=', ''],
    ['eq=a=b', 'a=b'],
  ])('%s → %j', (assignment, expected) => {
    const { variables, problems } = variablesFromAssignments([assignment]);
    expect(problems).toEqual([]);
    expect(Object.values(variables)).toEqual([expected]);
  });

  it('refuses assignments without a name and lets a later one win', () => {
    expect(variablesFromAssignments(['=1', 'x']).problems).toEqual([
      '--var =1: expected NAME=VALUE',
      '--var x: expected NAME=VALUE',
    ]);
    expect(variablesFromAssignments(['a=1', 'a=2']).variables).toEqual({ a: 2 });
  });

  it('keeps "__proto__" an ordinary name', () => {
    const { variables } = variablesFromAssignments(['__proto__={"polluted":1}']);
    expect(Object.hasOwn(variables, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('variables of a JSON body', () => {
  it('accept any JSON values and refuse anything but an object', () => {
    expect(variablesFromObject({ a: { b: [1, null] }, c: false }, 'variables')).toEqual({
      variables: { a: { b: [1, null] }, c: false },
      problems: [],
    });
    expect(variablesFromObject(undefined, 'variables')).toEqual({ variables: {}, problems: [] });
    expect(variablesFromObject([1], 'variables').problems).toEqual([
      'variables: expected an object of names to JSON values',
    ]);
    expect(variablesFromObject('x', 'variables').problems).toEqual([
      'variables: expected an object of names to JSON values',
    ]);
  });
});
