import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { writeTree, writeYaml } from '../support/mage-project.ts';

const root = join(import.meta.dirname, '../../..');
const example = join(root, 'examples/project');

function kubedispatch(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kubedispatch render', () => {
  it('prints exactly the Job as YAML', () => {
    const { code, stdout, stderr } = kubedispatch([
      'render',
      '--project',
      example,
      '--pipeline',
      'demo_etl',
      '--block',
      'train_model',
      '--block-run-id',
      '42',
      '--pipeline-run-id',
      '7',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const job = load(stdout) as { kind: string; metadata: { name: string } };
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toBe('mage-etl-block-42');
  });

  it('prints one JSON object with -o json, honouring attempt, trigger and env vars', () => {
    const { code, stdout } = kubedispatch(
      [
        'render',
        '--project',
        example,
        '--pipeline',
        'demo_etl',
        '--block',
        'load_orders',
        '--attempt',
        '2',
        '--trigger',
        'hourly_refresh',
        '-o',
        'json',
      ],
      { KUBE_NAMESPACE: 'ignored-when-project-sets-it', KUBEDISPATCH_PROJECT_PATH: '/home/src/project' },
    );
    expect(code).toBe(0);
    const job = JSON.parse(stdout);
    expect(job.metadata.name).toBe('mage-etl-block-1-a2');
    expect(job.metadata.labels['kubedispatch.io/trigger']).toBe('hourly_refresh');
    expect(job.spec.template.spec.containers[0].command.slice(0, 4)).toEqual([
      '/app/run_app.sh',
      'mage',
      'run',
      '/home/src/project',
    ]);
  });

  it('is reproducible with --execution-date, and reads --var values as JSON when they are JSON', () => {
    const args = [
      'render',
      '--project',
      example,
      '--pipeline',
      'demo_etl',
      '--block',
      'load_orders',
      '--pipeline-run-id',
      '12',
      '--trigger',
      'Nightly',
      '--execution-date',
      '2026-03-01T02:03:04.5Z',
      '--var',
      'n=5',
      '--var',
      'flag=true',
      '--var',
      'text=abc',
      '--var',
      'quoted="5"',
      '--var',
      'obj={"a":[1,{"b":null}]}',
      '-o',
      'json',
    ];
    const first = kubedispatch(args);
    expect(first.stderr).toBe('');
    expect(kubedispatch(args).stdout).toBe(first.stdout);
    const command: string[] = JSON.parse(first.stdout).spec.template.spec.containers[0].command;
    expect(command[command.indexOf('--execution-partition') + 1]).toBe('manual/20260301T020304_500000_12');
    expect(JSON.parse(command[command.indexOf('--runtime-vars') + 1]!)).toMatchObject({
      n: 5,
      flag: true,
      text: 'abc',
      quoted: '5',
      obj: { a: [1, { b: null }] },
      execution_date: '2026-03-01 02:03:04.500000+00:00',
      ds: '2026-03-01',
      hr: '02',
      env: 'prod',
      event: {},
      execution_partition: 'manual/20260301T020304_500000_12',
      pipeline_run_id: 12,
      trigger_name: 'Nightly',
    });
    const bad = kubedispatch([
      'render',
      '--project',
      example,
      '--pipeline',
      'demo_etl',
      '--block',
      'load_orders',
      '--execution-date',
      'yesterday',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--execution-date.*expected an ISO 8601 date/);
  });

  it('takes defaults from --server-pod', () => {
    const dir = writeTree({ 'metadata.yaml': {}, 'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b' }] } });
    const pod = writeYaml({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'd' },
      spec: { containers: [{ name: 'mage', image: 'server:3', env: [{ name: 'X', value: '1' }] }] },
    });
    const { code, stdout } = kubedispatch([
      'render',
      '--project',
      dir,
      '--pipeline',
      'p',
      '--block',
      'b',
      '--server-pod',
      pod,
      '-o',
      'json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).spec.template.spec.containers[0]).toMatchObject({
      image: 'server:3',
      env: [{ name: 'X', value: '1' }],
    });
  });

  it("follows dispatcher.ownPodDefaults as the dispatcher does, and never copies the pod's REDIS_URL or token", () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: { container: { image: 'own:1' } } },
      'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b' }] },
    });
    const env = [
      { name: 'REDIS_URL', value: 'redis://:hunter2@redis:6379' },
      { name: 'KUBEDISPATCH_AUTH_TOKEN', value: 'tok-hunter3' },
      { name: 'X', value: '1' },
    ];
    const pod = writeYaml({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'd' },
      spec: { containers: [{ name: 'mage', image: 'server:3', env }] },
    });
    const args = ['render', '--project', dir, '--pipeline', 'p', '--block', 'b', '--server-pod', pod, '-o', 'json'];
    const inherited = kubedispatch(args);
    expect(inherited.code).toBe(0);
    expect(JSON.parse(inherited.stdout).spec.template.spec.containers[0].env).toEqual([{ name: 'X', value: '1' }]);
    const off = kubedispatch(args, { KUBEDISPATCH_OWN_POD_DEFAULTS: 'false' });
    expect(off.code).toBe(0);
    expect(off.stderr).toMatch(
      /^warning: --server-pod is ignored: dispatcher.ownPodDefaults \(KUBEDISPATCH_OWN_POD_DEFAULTS\) is false/,
    );
    const container = JSON.parse(off.stdout).spec.template.spec.containers[0];
    expect(container.image).toBe('own:1');
    expect(container.env ?? []).toEqual([]);
    expect(off.stdout).not.toMatch(/hunter/);
  });

  it.each([
    [
      'missing image without a server pod',
      { 'metadata.yaml': {}, 'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b' }] } },
      /^error: .*pipelines\/p\/metadata.yaml: blocks\[0\].executor_config.container.image: no image for block "b"/,
    ],
    [
      'malformed YAML',
      { 'metadata.yaml': 'k8s_executor_config: [\n', 'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b' }] } },
      /^error: .*\/metadata.yaml: invalid YAML: line 2/,
    ],
    [
      'a bad quantity',
      {
        'metadata.yaml': { k8s_executor_config: { resource_limits: { cpu: 'x' } } },
        'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b' }] },
      },
      /^error: .*\/metadata.yaml: k8s_executor_config.resource_limits.cpu: not a resource quantity/,
    ],
  ])('exits 1 on %s with file, key path and message, and no stack trace', (_name, files, message) => {
    const { code, stdout, stderr } = kubedispatch([
      'render',
      '--project',
      writeTree(files),
      '--pipeline',
      'p',
      '--block',
      'b',
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('renders a valid pipeline while another pipeline of the project is broken, as a run would', () => {
    const files = {
      'metadata.yaml': { k8s_executor_config: { container: { image: 'x:1' } } },
      'pipelines/good/metadata.yaml': { blocks: [{ uuid: 'b' }] },
      'pipelines/cyclic/metadata.yaml': {
        blocks: [
          { uuid: 'x', upstream_blocks: ['y'] },
          { uuid: 'y', upstream_blocks: ['x'] },
        ],
      },
      'pipelines/bad_quantity/metadata.yaml': {
        blocks: [{ uuid: 'q', executor_config: { resource_limits: { cpu: 'lots' } } }],
      },
    };
    const dir = writeTree(files);
    const { code, stdout, stderr } = kubedispatch([
      'render',
      '--project',
      dir,
      '--pipeline',
      'good',
      '--block',
      'b',
      '-o',
      'json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).spec.template.spec.containers[0].image).toBe('x:1');
    // validate still reads every pipeline.
    const validation = kubedispatch(['validate', '--project', dir]);
    expect(validation.code).toBe(1);
    expect(validation.stdout).toMatch(/pipelines\/cyclic\/metadata.yaml/);
    expect(validation.stdout).toMatch(/pipelines\/bad_quantity\/metadata.yaml/);
  });

  it('exits 1 on an unknown pipeline, naming the pipelines that exist', () => {
    const { code, stdout, stderr } = kubedispatch([
      'render',
      '--project',
      example,
      '--pipeline',
      'nope',
      '--block',
      'b',
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^error: .*metadata.yaml: pipelines: unknown pipeline "nope"; expected one of: demo_etl, hello_k8s\n$/,
    );
  });

  it('exits 1 on an alias bomb and on a huge file', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `l${i}: &l${i} [${Array(9)
            .fill(i === 0 ? '*a' : `*l${i - 1}`)
            .join(',')}]`,
      ),
    ].join('\n');
    const huge = `k8s_executor_config: {}\npadding: "${'x'.repeat(1_100_000)}"\n`;
    for (const metadata of [bomb, huge]) {
      const { code, stderr } = kubedispatch([
        'render',
        '--project',
        writeTree({ 'metadata.yaml': metadata }),
        '--pipeline',
        'p',
        '--block',
        'b',
      ]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^error: .*metadata.yaml: (the document expands|is larger than the \d+-byte limit)/);
    }
  });

  it.each([
    [['render', '--project', example]],
    [['render', '--project', example, '--pipeline', 'demo_etl', '--block', 'x', '--block-run-id', '0']],
    [['render', '--project', example, '--pipeline', 'demo_etl', '--block', 'x', '-o', 'xml']],
    [['validate']],
    [['validate', '--project', example, '--bogus']],
  ])('exits 2 on usage errors: %j', (args) => {
    const { code, stderr } = kubedispatch(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: /);
  });

  it('has --help', () => {
    for (const command of ['render', 'validate']) {
      const { code, stdout } = kubedispatch([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: kubedispatch ${command} \\[options\\]`));
    }
  });
});

describe('kubedispatch validate', () => {
  it('exits 0 on the example project', () => {
    expect(kubedispatch(['validate', '--project', example])).toEqual({
      code: 0,
      stdout: 'ok (0 warnings)\n',
      stderr: '',
    });
  });

  it('prints warnings and exits 0 when there are only warnings', () => {
    const dir = writeTree({ 'metadata.yaml': {}, 'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'a' }] } });
    const { code, stdout } = kubedispatch(['validate', '--project', dir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^warning: .*container.image: no image for block "a".*\nok \(1 warning\)\n$/);
  });

  it('prints every problem and exits 1 on errors', () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: { namespace: 'Bad NS', container: { image: 'x' } } },
      'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'a', upstream_blocks: ['zz'] }, { uuid: 'a' }] },
    });
    const { code, stdout } = kubedispatch(['validate', '--project', dir]);
    expect(code).toBe(1);
    expect(stdout.split('\n').filter((line) => line.startsWith('error: '))).toHaveLength(3);
    expect(stdout).toMatch(/3 errors, \d+ warnings?\n$/);
  });
  it("checks every pipeline's triggers.yaml, each problem with file and key path", () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: { container: { image: 'x' } } },
      'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'a' }] },
      'pipelines/p/triggers.yaml': {
        triggers: [
          { name: 'ok', schedule_type: 'time', schedule_interval: '@daily', start_time: null },
          {
            name: 'bad',
            schedule_type: 'time',
            schedule_interval: '@daily',
            start_time: null,
            colour: 'red',
            settings: { fast: true },
          },
        ],
      },
    });
    const { code, stdout } = kubedispatch(['validate', '--project', dir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^error: .*pipelines\/p\/triggers\.yaml: triggers\[1\]\.colour: unknown key/m);
    expect(stdout).toMatch(/^error: .*pipelines\/p\/triggers\.yaml: triggers\[1\]\.settings\.fast: unknown setting/m);
    expect(stdout).toMatch(/2 errors, 0 warnings\n$/);
  });
});
