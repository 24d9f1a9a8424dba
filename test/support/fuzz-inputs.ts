/**
 * Generators of malformed input for the fuzz test (test/fuzz/malformed-input.test.ts): project files,
 * settings files, job templates and policies as bytes (dumped structures with wrong values, then
 * broken as files get broken: junk inserted, invalid UTF-8 appended, random bytes, alias bombs), and
 * HTTP bodies.
 */
import fc from 'fast-check';
import { dump } from 'js-yaml';

const EXECUTOR_KEYS = {
  top: [
    'namespace',
    'job_name_prefix',
    'service_account_name',
    'resource_limits',
    'resource_requests',
    'metadata',
    'pod',
    'container',
    'container_config',
    'job',
    'bogus',
  ],
  job: [
    'active_deadline_seconds',
    'backoff_limit',
    'parallelism',
    'completions',
    'ttl_seconds_after_finished',
    'completion_mode',
    'selector',
    'suspend',
    'podFailurePolicy',
  ],
  pod: [
    'volumes',
    'tolerations',
    'node_selector',
    'affinity',
    'security_context',
    'service_account_name',
    'restart_policy',
    'dns_policy',
    'image_pull_secrets',
    'activeDeadlineSeconds',
    'init_containers',
  ],
  container: [
    'image',
    'env',
    'env_from',
    'resources',
    'volume_mounts',
    'ports',
    'command',
    'args',
    'image_pull_policy',
    'security_context',
    'name',
    'working_dir',
  ],
};

/** Scalars that trip parsers: non-finite numbers, huge and fractional numbers, odd strings, dates. */
const nastyScalar = fc.oneof(
  fc.constantFrom(
    Infinity,
    -Infinity,
    NaN,
    1e400,
    -0,
    2 ** 53,
    2 ** 31,
    -1,
    1.5,
    0,
    '',
    ' ',
    '\u0000',
    '\ud800',
    'é',
    '__proto__',
    'constructor',
    '${x}',
    '{{ x }}',
    '1e400',
    '-1Gi',
    '=',
    '1 bad=name',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
  fc.date({ noInvalidDate: true }),
);

const yamlValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(...EXECUTOR_KEYS.container, ...EXECUTOR_KEYS.pod, 'name', 'value', 'key', 'operator'),
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

function section(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.constantFrom(...keys), yamlValue, { maxKeys: 4 });
}

/** An executor config that is mostly the right shape, with wrong values where it matters. */
const executorConfig = fc.oneof(
  yamlValue,
  fc.record(
    { job: section(EXECUTOR_KEYS.job), pod: section(EXECUTOR_KEYS.pod), container: section(EXECUTOR_KEYS.container) },
    { requiredKeys: [] },
  ),
  section(EXECUTOR_KEYS.top),
);

const block = fc.oneof(
  yamlValue,
  fc.record(
    {
      uuid: fc.oneof(fc.constantFrom('a', 'b'), nastyScalar),
      upstream_blocks: fc.oneof(fc.constant(['a']), yamlValue),
      executor_type: fc.oneof(fc.constantFrom('k8s', 'local_python'), nastyScalar),
      executor_config: executorConfig,
      retry_config: fc.oneof(
        yamlValue,
        fc.record(
          { retries: nastyScalar, delay: nastyScalar, max_delay: nastyScalar, exponential_backoff: nastyScalar },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

/** A YAML document as text: dumped structures, then broken the ways files get broken. */
function yamlText(structure: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  const dumped = structure.map((value) => dump(value, { skipInvalid: true, lineWidth: -1 }));
  // Mostly well-formed YAML with wrong values, which reaches the deeper checks; the rest is broken text.
  return fc.oneof(
    { weight: 6, arbitrary: dumped.map((text) => Buffer.from(text)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          dumped,
          fc.nat(),
          fc.constantFrom(':', '[', '{', '*x', '&a', '\t', '- ', '"', '!!binary', '<<: *a', '%YAML 9\n', '\n  - '),
        )
        .map(([text, at, junk]) => {
          const cut = text.length === 0 ? 0 : at % text.length;
          return Buffer.from(`${text.slice(0, cut)}${junk}${text.slice(cut)}`);
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(dumped, fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([text, bytes]) => Buffer.concat([Buffer.from(text), Buffer.from(bytes)])),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          'a: &a [x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n',
          '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
          '\ufeff',
          'x: 1\nx: 2\n',
          '--- a\n--- b\n',
        )
        .map((text) => Buffer.from(text)),
    },
  );
}

export const projectFiles = fc.record({
  metadata: yamlText(fc.oneof(fc.record({ k8s_executor_config: executorConfig }, { requiredKeys: [] }), yamlValue)),
  pipeline: yamlText(
    fc.oneof(
      fc.record(
        {
          uuid: fc.oneof(fc.constant('p'), nastyScalar),
          executor_type: fc.constantFrom('k8s', 'K8S ', 'ecs'),
          blocks: fc.oneof(fc.array(block, { maxLength: 3 }), yamlValue),
          executor_config: executorConfig,
          concurrency_config: yamlValue,
        },
        { requiredKeys: [] },
      ),
      yamlValue,
    ),
  ),
  triggers: fc.option(yamlText(fc.oneof(fc.record({ triggers: fc.array(yamlValue, { maxLength: 3 }) }), yamlValue)), {
    nil: undefined,
  }),
});

export const settingsFile = yamlText(
  fc.oneof(
    fc.record(
      {
        redis: fc.oneof(yamlValue, fc.record({ url: nastyScalar }, { requiredKeys: [] })),
        queue: fc.oneof(yamlValue, fc.record({ prefix: nastyScalar }, { requiredKeys: [] })),
        limits: fc.oneof(
          yamlValue,
          fc.dictionary(fc.constantFrom('maxActiveJobs', 'apiQps', 'apiBurst', 'bogus'), nastyScalar, { maxKeys: 3 }),
        ),
        http: yamlValue,
        kube: yamlValue,
      },
      { requiredKeys: [] },
    ),
    yamlValue,
  ),
);

export const configFile = yamlText(
  fc.oneof(
    executorConfig,
    fc.record(
      {
        enabled: nastyScalar,
        enforce: nastyScalar,
        strict_conflicts: nastyScalar,
        container: section(EXECUTOR_KEYS.container),
      },
      { requiredKeys: [] },
    ),
  ),
);

/** HTTP bodies: JSON text that is wrong in shape or in content, and text that is not JSON at all. */
export const httpBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        trigger: fc.oneof(fc.string(), fc.jsonValue()),
        variables: fc.oneof(
          fc.dictionary(
            fc.string({ maxLength: 8 }),
            fc.oneof(
              fc.string(),
              fc.integer(),
              fc.double({ noNaN: true, noDefaultInfinity: true }),
              fc.boolean(),
              fc.jsonValue(),
            ),
          ),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '',
    '{',
    '{"trigger":',
    'null',
    '[]',
    '"x"',
    '1e400',
    '{"variables":{"a":1e400}}',
    '{"__proto__":{"x":1}}',
    '{"trigger":"a","trigger":"b"}',
  ),
);

const loneSurrogate = fc.constantFrom('\\ud800', '\\udfff', 'a\\udc00b', '\\ud83d');

/** Bodies that break one rule of the API's body contract, with the status that rule gives. */
export const ruleBreakingBody = fc.oneof(
  fc
    .tuple(
      fc.string({ minLength: 1, maxLength: 10 }).filter((key) => key !== 'trigger' && key !== 'variables'),
      fc.jsonValue(),
    )
    .map(([key, value]) => ({
      body: JSON.stringify({ [key]: value }),
      contentType: 'application/json',
      expected: 400,
    })),
  loneSurrogate.map((escape) => ({
    body: `{"variables":{"day":"${escape}"}}`,
    contentType: 'application/json',
    expected: 400,
  })),
  loneSurrogate.map((escape) => ({ body: `{"trigger":"${escape}"}`, contentType: 'application/json', expected: 400 })),
  fc
    .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x')
    .map((contentType) => ({ body: '{"trigger":"api"}', contentType, expected: 415 })),
);
