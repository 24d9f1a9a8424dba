import { describe, expect, it } from 'vitest';
import { keyPathLines, withKeyLines } from '../../../src/input/key-lines.ts';

const text = `# a Mage pipeline
uuid: etl
blocks:
  - uuid: load
    executor_config:
      pod: {node_selector: {"a.b/c": d}}
  - &second
    uuid: join
    upstream_blocks: [load]
? [complex key]
: ignored
last: 1
`;

describe('keyPathLines', () => {
  it('maps key paths, as problems write them, to lines', () => {
    const lines = keyPathLines(text);
    expect(Object.fromEntries(lines)).toMatchObject({
      uuid: 2,
      blocks: 3,
      'blocks[0]': 4,
      'blocks[0].uuid': 4,
      'blocks[0].executor_config': 5,
      'blocks[0].executor_config.pod.node_selector."a.b/c"': 6,
      'blocks[1]': 7,
      'blocks[1].uuid': 8,
      'blocks[1].upstream_blocks[0]': 9,
      last: 12,
    });
  });
});

describe('withKeyLines', () => {
  it('adds the line of the closest enclosing key to problems of that file only', () => {
    const problems = withKeyLines(
      [
        { severity: 'error', file: 'f.yaml', keyPath: 'blocks[0].executor_config.pod.tolerations', message: 'm1' },
        { severity: 'error', file: 'f.yaml', keyPath: '', message: 'm2' },
        { severity: 'error', file: 'other.yaml', keyPath: 'uuid', message: 'm3' },
      ],
      'f.yaml',
      text,
    );
    expect(problems.map((p) => p.message)).toEqual(['m1 (line 6)', 'm2', 'm3']);
  });
});
