import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/config-problem.ts';
import { renderExecutorType, renderNamespace, renderProjectMetadata } from '../../../src/mage/mage-templates.ts';
import { readProject } from '../../../src/project/load-project.ts';
import { problemsOf, render as renderJob, renderProblems, writeTree } from '../support/mage-project.ts';

const FILE = '/p/metadata.yaml';
const ENV = {
  SET: 'value',
  JSON: '{"db": {"hosts": ["a", {"name": "deep"}]}}',
  REDIS_URL: 'redis://:redis-password@redis:6379',
  KUBEDISPATCH_AUTH_TOKEN: 'the-api-token',
  KUBEDISPATCH_ANYTHING: 'internal',
};

const render = (text: string, env: Record<string, string> = ENV) => renderProjectMetadata(text, FILE, env);
const renderError = (text: string) => problemsOf(() => render(text))[0]!;

describe('Jinja in the project metadata.yaml, as Mage renders it', () => {
  it.each([
    ['env_var of a set variable', "a: {{ env_var('SET') }}", 'a: value'],
    ['env_var of an unset variable prints None, as os.getenv under Jinja', "a: {{ env_var('UNSET') }}", 'a: None'],
    ['env_var with a default, as os.getenv(name, default)', "a: {{ env_var('UNSET', 'fallback') }}", 'a: fallback'],
    ['an unset variable is false in if', "{% if env_var('UNSET') %}yes{% else %}no{% endif %}", 'no'],
    ['an unset variable is false in or', "{{ env_var('UNSET') or 'other' }}", 'other'],
    ['json_value digs a key path with list indexes', "{{ json_value(env_var('JSON'), 'db.hosts[1].name') }}", 'deep'],
    ['json_value of an unset variable is None', "{{ json_value(env_var('UNSET'), 'a') }}", 'None'],
    ['json_value of text that is not JSON returns the text', "{{ json_value(env_var('SET'), 'a') }}", 'value'],
    ['none prints as Python does', '{{ none }} {{ None }}', 'None None'],
    ['raw blocks stay literal', "ns: {% raw %}{{ variables('team') }}{% endraw %}", "ns: {{ variables('team') }}"],
    ['text without template syntax is unchanged', 'a: 1\nb: [x, y]\n', 'a: 1\nb: [x, y]\n'],
    // Jinja's defaults: the newline after a tag stays (no trim_blocks), one trailing newline goes.
    ['Jinja keeps newlines after tags by default', 'a: 1\n{% if true %}\nb: 2\n{% endif %}\n', 'a: 1\n\nb: 2\n'],
  ])('%s', (_name, template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it.each(['REDIS_URL', 'KUBEDISPATCH_AUTH_TOKEN', 'KUBEDISPATCH_ANYTHING'])(
    "never hands out kubedispatch's own %s: it renders as unset (None)",
    (name) => {
      expect(render(`v: {{ env_var('${name}') }}`)).toBe('v: None');
      expect(render(`v: {{ env_var('${name}', 'default') }}`)).toBe('v: default');
    },
  );

  it.each(['mage_secret_var', 'aws_secret_var', 'azure_secret_var'])(
    'refuses %s by name, with the line and what to do',
    (name) => {
      const problem = renderError(`a: 1\nb: 2\npassword: "{{ ${name}('db_password') }}"\n`);
      expect(problem).toMatchObject({ severity: 'error', file: FILE });
      expect(problem.message).toMatch(new RegExp(`line 3: ${name}\\(\\) is not supported`));
      expect(problem.message).toMatch(/Kubernetes Secret/);
    },
  );

  it('refuses variables(), which Mage cannot render in this file either, saying where it works', () => {
    const problem = renderError('a: 1\nnamespace: "{{ variables(\'team\') }}"\n');
    expect(problem.message).toMatch(/line 2: variables\(\) cannot be used in the project's metadata.yaml/);
    expect(problem.message).toMatch(/\{% raw %\}/);
  });

  it.each([
    ['a syntax error', 'a: 1\nb: {{ 1 + }}\n', 2, /invalid Jinja syntax/],
    ['an unknown statement', 'a: 1\n\n{% frobnicate %}\n', 3, /Unknown statement type: frobnicate/],
    ['an unclosed block', 'a: 1\n{% if true %}\nb: 2\n', 3, /unclosed block/],
    ['an unknown function', "a: 1\nb: {{ read_file('/etc/passwd') }}\n", 2, /function that does not exist/],
  ])('reports %s as a ConfigProblem naming the file and line', (_name, template, line, message) => {
    const problem = renderError(template);
    expect(problem.file).toBe(FILE);
    expect(problem.message).toMatch(new RegExp(`^Jinja template error: line ${line}: `));
    expect(problem.message).toMatch(message);
  });

  it('keeps line numbers after a multi-line raw block', () => {
    expect(renderError('{% raw %}\n{{ x }}\n{% endraw %}\nb: {{ 1 + }}').message).toMatch(/line 4:/);
  });
});

describe('the template sandbox', () => {
  // Known escapes from Jinja-like engines (nunjucks' constructor chain, Jinja's __class__ walk,
  // prototype access): none may reach JavaScript, so each renders nothing or fails as a template error.
  it.each([
    "{{ ''.constructor.constructor('return process')() }}",
    "{{ env_var.constructor('return process')().env.REDIS_URL }}",
    "{{ range.constructor('return process')() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ [].constructor.constructor('return this')() }}",
    "{{ {}['__proto__']['constructor']['constructor']('return process')() }}",
    '{{ json_value.call.apply(none, []) }}',
    '{{ self.__init__.__globals__ }}',
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{% set x = namespace() %}{{ x.constructor.constructor('return process')() }}",
    "{{ process.env.REDIS_URL }}{{ require('fs') }}{{ globalThis }}",
    '{{ env_var }}{{ json_value }}{{ namespace }}{{ mage_secret_var }}',
  ])('%s reaches nothing', (template) => {
    let output = '';
    try {
      output = render(template);
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(ConfigError);
      output = (thrown as ConfigError).message;
    }
    // Neither a secret of the environment nor anything of JavaScript (objects, functions, the process).
    expect(output).not.toMatch(
      /redis-password|the-api-token|internal|uid=\d|\[object |\[Function|native code|=>|node:|versions/,
    );
  });

  it('does not run code that would change the process', () => {
    const before = process.exitCode;
    try {
      render("{{ ''.constructor.constructor('process.exitCode = 42')() }}");
    } catch {
      // refused as a template error: what matters is that nothing ran
    }
    expect(process.exitCode).toBe(before);
  });
});

describe('other places Mage renders', () => {
  it('renders executor_type with env_var', () => {
    expect(renderExecutorType("{{ env_var('EXECUTOR') }}", { EXECUTOR: 'k8s' })).toEqual({ ok: true, value: 'k8s' });
    expect(renderExecutorType("{{ mage_secret_var('x') }}", {})).toMatchObject({
      ok: false,
      message: expect.stringMatching(/mage_secret_var\(\) is not supported/),
    });
  });

  it('renders the namespace with the run variables (None for a missing one) and env_var', () => {
    expect(
      renderNamespace("{{ variables('team') }}-{{ env_var('STAGE') }}", { team: 'data' }, { STAGE: 'prod' }),
    ).toEqual({ ok: true, value: 'data-prod' });
    expect(renderNamespace("jobs-{{ variables('missing') }}", {}, {})).toEqual({ ok: true, value: 'jobs-None' });
    expect(renderNamespace('plain', {}, {})).toEqual({ ok: true, value: 'plain' });
  });

  it('renders the Job namespace from the run variables, kept literal in the project file with {% raw %}', () => {
    const project = { namespace: "{% raw %}jobs-{{ variables('team') }}{% endraw %}", container: { image: 'x:1' } };
    expect(renderJob({ project, ids: { runtimeVariables: { team: 'data' } } }).namespace).toBe('jobs-data');
  });

  it('refuses a namespace that does not render to a DNS label with the run variables, and only warns without them', () => {
    const project = { namespace: "{% raw %}{{ variables('team') }}{% endraw %}", container: { image: 'x:1' } };
    expect(renderProblems({ project, ids: { runtimeVariables: {} } })).toEqual([
      expect.objectContaining({
        severity: 'error',
        keyPath: 'k8s_executor_config.namespace',
        message: expect.stringMatching(/renders to "None" with the run's variables, which is not a DNS-1123 label/),
      }),
    ]);
    expect(renderProblems({ project, ids: { dryRun: true } })).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/without run variables/) }),
    ]);
    expect(renderProblems({ project: { namespace: "{% raw %}{{ mage_secret_var('ns') }}{% endraw %}" } })).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringMatching(/mage_secret_var\(\) is not supported/),
      }),
    ]);
  });

  it('loads a project: metadata.yaml rendered, pipeline metadata.yaml and executor_type as Mage does', () => {
    const dir = writeTree({
      'metadata.yaml':
        "k8s_executor_config:\n  namespace: \"{{ env_var('JOB_NAMESPACE') }}\"\n  container_config:\n    image: \"repo/mage:{{ env_var('TAG', 'latest') }}\"\n",
      // Not rendered by Mage: the braces stay as written (a description, not a template).
      'pipelines/etl/metadata.yaml':
        'uuid: etl\ndescription: "{{ env_var(\'JOB_NAMESPACE\') }}"\nexecutor_type: "{{ env_var(\'PIPELINE_EXECUTOR\') }}"\nblocks:\n  - uuid: a\n    type: custom\n',
      'pipelines/etl/triggers.yaml': 'triggers:\n  - name: "{{ env_var(\'JOB_NAMESPACE\') }}"\n',
    });
    const { project, problems } = readProject(dir, undefined, { JOB_NAMESPACE: 'mage-jobs', PIPELINE_EXECUTOR: 'K8S' });
    expect(problems).toEqual([]);
    expect(project.k8sExecutorConfig).toMatchObject({
      namespace: 'mage-jobs',
      container: { image: 'repo/mage:latest' },
    });
    expect(project.pipelines[0]?.executorType).toBe('k8s');
  });

  it('does not render the pipeline metadata.yaml: template syntax there is plain text, even a secret function', () => {
    const dir = writeTree({
      'metadata.yaml': 'project_uuid: x\n',
      'pipelines/etl/metadata.yaml':
        'uuid: etl\nexecutor_config:\n  metadata:\n    annotations:\n      note: "{{ mage_secret_var(\'x\') }}"\nblocks:\n  - uuid: a\n    type: custom\n',
    });
    const { project, problems } = readProject(dir, undefined, {});
    expect(problems).toEqual([]);
    expect(project.pipelines[0]?.executorConfig?.metadata?.annotations).toEqual({ note: "{{ mage_secret_var('x') }}" });
  });

  it('reports a template error of the project metadata.yaml through the loader', () => {
    const dir = writeTree({ 'metadata.yaml': "a: 1\nb: {{ aws_secret_var('x') }}\n" });
    const { problems } = readProject(dir, undefined, {});
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: join(dir, 'metadata.yaml'),
        message: expect.stringMatching(/line 2: aws_secret_var\(\) is not supported/),
      }),
    ]);
  });
});
