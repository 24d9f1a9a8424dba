import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { ConfigError } from '../../../src/errors/config-problem.ts';
import { MAX_YAML_BYTES, parseYaml, readYamlFile } from '../../../src/input/safe-yaml.ts';
import { problemsOf, writeYaml } from '../support/mage-project.ts';

describe('parseYaml', () => {
  it('parses a document', () => {
    expect(parseYaml('a: 1\nb: [x, y]\n', 'f.yaml')).toEqual({ a: 1, b: ['x', 'y'] });
  });

  it('reads an empty file as nothing', () => {
    expect(parseYaml('  \n', 'f.yaml')).toBeNull();
  });

  it('names file, line and column of a syntax error', () => {
    const [problem] = problemsOf(() => parseYaml('a: 1\nb: [1,\n  c: 2\n', 'bad.yaml'));
    expect(problem?.file).toBe('bad.yaml');
    expect(problem?.message).toMatch(/^invalid YAML: line \d+, column \d+: /);
  });

  it('refuses alias bombs', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i += 1)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(',')}]`,
      );
    const [problem] = problemsOf(() => parseYaml(levels.join('\n'), 'bomb.yaml'));
    expect(problem?.message).toMatch(/alias/);
  });

  it('accepts a few aliases', () => {
    expect(parseYaml('base: &b {cpu: 1}\nx: *b\ny: *b\n', 'f.yaml')).toEqual({
      base: { cpu: 1 },
      x: { cpu: 1 },
      y: { cpu: 1 },
    });
  });

  it('refuses text over the size limit', () => {
    const [problem] = problemsOf(() => parseYaml(`a: "${'x'.repeat(MAX_YAML_BYTES)}"`, 'big.yaml'));
    expect(problem?.message).toMatch(/larger than the 1048576-byte limit/);
  });

  it('refuses excessive nesting', () => {
    expect(() => parseYaml(`${'['.repeat(200)}${']'.repeat(200)}`, 'deep.yaml')).toThrow(ConfigError);
  });
});

describe('readYamlFile', () => {
  it('refuses a huge file before reading it', () => {
    const file = writeYaml('a: 1\n');
    writeFileSync(file, `a: "${'x'.repeat(MAX_YAML_BYTES + 10)}"\n`);
    expect(problemsOf(() => readYamlFile(file))[0]?.message).toMatch(/larger than/);
  });

  it('reports a missing file', () => {
    expect(problemsOf(() => readYamlFile('/nonexistent/x.yaml'))[0]).toMatchObject({
      file: '/nonexistent/x.yaml',
      message: expect.stringMatching(/not found/),
    });
  });
});
