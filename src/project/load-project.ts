import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processEnv } from '../config/env.ts';
import type { Env } from '../config/env.ts';
import { ConfigError, ProblemList } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { parseExecutorConfig } from '../executor-config/parse-config.ts';
import { pythonDatetimeText } from '../mage/python-datetime.ts';
import { renderExecutorType, renderProjectMetadata } from '../mage/mage-templates.ts';
import {
  checkBlockKind,
  checkPipelineKind,
  inPodBlocks,
  NON_EXECUTABLE_BLOCK_TYPES,
  upstreamsThroughInPodBlocks,
} from './block-kinds.ts';
import type { InPodBlock } from './block-kinds.ts';
import { checkDag } from './dag.ts';
import { childPath, describeType, isPlainObject, isReservedKey, itemPath } from '../input/input-shape.ts';
import type { PlainObject } from '../input/input-shape.ts';
import { readBoolean, readCount, readMapping, readString, readStringList } from './mage-fields.ts';
import type { FieldReader } from './mage-fields.ts';
import { REMOTE_VARIABLES_DIR_PLACEHOLDER, unknownPipelineMessage } from './model.ts';
import type { Block, Pipeline, Project, RetryConfig } from './model.ts';
import { withKeyLines } from '../input/key-lines.ts';
import { readYamlSource, readYamlSourceAsync } from '../input/safe-yaml.ts';

export interface ProjectReading {
  /** The project with every usable part; configs with errors are left out (null). */
  project: Project;
  problems: ConfigProblem[];
}

/**
 * Loads a Mage project, throwing a ConfigError with every problem when any is an error. With
 * `onlyPipelines`, reads just those (as a run does), so a broken pipeline elsewhere in the project
 * cannot stop them; one that does not exist is an error naming the pipelines that do.
 */
export function loadProject(dir: string, onlyPipelines?: readonly string[], env: Env = processEnv()): Project {
  const { project, problems } = readProject(dir, onlyPipelines, env);
  if (problems.some((problem) => problem.severity === 'error')) throw new ConfigError(problems);
  const missing = (onlyPipelines ?? []).find((uuid) => !project.pipelines.some((pipeline) => pipeline.uuid === uuid));
  if (missing !== undefined) throw unknownPipeline(project, missing);
  return project;
}

/** A pipeline that is not in the project, naming those on disk (also those not read). */
export function unknownPipeline(project: Project, uuid: string): ConfigError {
  return ConfigError.single(
    project.metadataFile,
    'pipelines',
    unknownPipelineMessage(uuid, pipelineUuids(project.dir)),
  );
}

/** A file's text and parsed document, or why it could not be read or parsed. */
type Source = { text: string; document: unknown } | ConfigError;

interface ProjectFiles {
  root: string;
  metadataFile: string;
  /** The pipelines to read, as [uuid, metadata.yaml path]. */
  pipelines: [string, string][];
}

/**
 * Reads a Mage project and reports every problem found instead of stopping at the first. With
 * `onlyPipelines`, reads just those pipelines (a run needs one, and large projects have many).
 * Synchronous, for the CLI; long-running processes use readProjectAsync. `env` is what Jinja's
 * `env_var()` reads in the project metadata.yaml and in `executor_type`.
 */
export function readProject(dir: string, onlyPipelines?: readonly string[], env: Env = processEnv()): ProjectReading {
  const files = projectFiles(dir, onlyPipelines);
  const sources = new Map<string, Source>();
  if (existsSync(files.metadataFile)) {
    for (const file of [files.metadataFile, ...files.pipelines.map(([, file]) => file)])
      sources.set(
        file,
        sourceOf(() => readYamlSource(file, files.root, templateOf(files, file, env))),
      );
  }
  return buildProject(files, sources, env);
}

/** readProject without blocking the event loop while files are read (request paths of the API, the scheduler). */
export async function readProjectAsync(
  dir: string,
  onlyPipelines?: readonly string[],
  env: Env = processEnv(),
): Promise<ProjectReading> {
  const files = projectFiles(dir, onlyPipelines);
  const sources = new Map<string, Source>();
  if (existsSync(files.metadataFile)) {
    const all = [files.metadataFile, ...files.pipelines.map(([, file]) => file)];
    const read = await Promise.all(
      all.map((file) =>
        readYamlSourceAsync(file, files.root, templateOf(files, file, env)).catch((thrown: unknown) =>
          sourceOf(() => {
            throw thrown;
          }),
        ),
      ),
    );
    all.forEach((file, index) => sources.set(file, read[index]!));
  }
  return buildProject(files, sources, env);
}

/** Mage renders the project metadata.yaml (only this file) as a Jinja template before parsing it. */
function templateOf(files: ProjectFiles, file: string, env: Env): ((text: string) => string) | undefined {
  return file === files.metadataFile ? (text) => renderProjectMetadata(text, file, env) : undefined;
}

function projectFiles(dir: string, onlyPipelines?: readonly string[]): ProjectFiles {
  const root = resolve(dir);
  const wanted = onlyPipelines ? new Set(onlyPipelines) : undefined;
  const pipelines = pipelineUuids(root)
    .filter((uuid) => !wanted || wanted.has(uuid))
    .map((uuid): [string, string] => [uuid, join(root, 'pipelines', uuid, 'metadata.yaml')]);
  return { root, metadataFile: join(root, 'metadata.yaml'), pipelines };
}

function sourceOf(read: () => { text: string; document: unknown }): Source {
  try {
    return read();
  } catch (thrown) {
    if (thrown instanceof ConfigError) return thrown;
    throw thrown;
  }
}

function buildProject(files: ProjectFiles, sources: ReadonlyMap<string, Source>, env: Env): ProjectReading {
  const { root, metadataFile } = files;
  const problems = new ProblemList();
  const texts = new Map<string, string>();
  const project: Project = { dir: root, metadataFile, k8sExecutorConfig: null, retryConfig: {}, pipelines: [] };
  if (!sources.has(metadataFile)) {
    problems.error(
      metadataFile,
      '',
      'not a Mage project: metadata.yaml not found (expected --project to name the project directory)',
    );
    return { project, problems: problems.items };
  }
  const metadata = readDocument(metadataFile, sources, problems, texts);
  if (metadata) {
    project.k8sExecutorConfig =
      parseExecutorConfig(metadata['k8s_executor_config'], metadataFile, 'k8s_executor_config', problems) ?? null;
    project.retryConfig = readRetryConfig({ file: metadataFile, problems }, metadata, '');
    const remote = readString({ file: metadataFile, problems }, metadata, 'remote_variables_dir', '');
    if (remote && remote !== REMOTE_VARIABLES_DIR_PLACEHOLDER) project.remoteVariablesDir = remote;
  }
  for (const [uuid, file] of files.pipelines) {
    const pipeline = readPipeline(uuid, file, sources, problems, texts, env);
    if (pipeline) project.pipelines.push(pipeline);
  }
  const located = [...texts].reduce((all, [file, text]) => withKeyLines(all, file, text), problems.items);
  return { project, problems: located };
}

/** The uuids of the project's pipelines: folders of `pipelines/` that hold a metadata.yaml. */
export function pipelineUuids(dir: string): string[] {
  const folder = join(resolve(dir), 'pipelines');
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, 'metadata.yaml')))
    .map((entry) => entry.name)
    .sort();
}

/** A YAML file whose top level must be a mapping; an empty file counts as an empty mapping. */
function readDocument(
  file: string,
  sources: ReadonlyMap<string, Source>,
  problems: ProblemList,
  texts: Map<string, string>,
): PlainObject | undefined {
  const source = sources.get(file);
  if (!source || source instanceof ConfigError) {
    problems.addAll(source?.problems ?? []);
    return undefined;
  }
  texts.set(file, source.text);
  const document = source.document ?? {};
  if (isPlainObject(document)) return document;
  problems.error(file, '', `expected a mapping at the top level, got ${describeType(document)}`);
  return undefined;
}

function readPipeline(
  uuid: string,
  file: string,
  sources: ReadonlyMap<string, Source>,
  problems: ProblemList,
  texts: Map<string, string>,
  env: Env,
): Pipeline | undefined {
  const document = readDocument(file, sources, problems, texts);
  if (!document) return undefined;
  const reader = { file, problems, env };
  const declaredUuid = readString(reader, document, 'uuid', '');
  if (declaredUuid !== undefined && declaredUuid !== uuid) {
    problems.warning(
      file,
      'uuid',
      `uuid "${declaredUuid}" differs from the folder name "${uuid}"; the folder name is used, as in Mage`,
    );
  }
  checkPipelineKind(reader, document, uuid);
  const concurrency = readMapping(reader, document, 'concurrency_config', '');
  const rawBlocks = document['blocks'] ?? [];
  if (!Array.isArray(rawBlocks))
    problems.error(file, 'blocks', `expected a list of blocks, got ${describeType(rawBlocks)}`);
  const pipeline: Pipeline = {
    uuid,
    file,
    executorType: readExecutorType(reader, document, ''),
    executorConfig: parseExecutorConfig(document['executor_config'], file, 'executor_config', problems) ?? null,
    concurrencyConfig: {
      blockRunLimit: readCount(reader, concurrency, 'block_run_limit', 'concurrency_config') ?? null,
      pipelineRunLimit: readCount(reader, concurrency, 'pipeline_run_limit', 'concurrency_config') ?? null,
    },
    variables: jsonValues(readMapping(reader, document, 'variables', '')) as Record<string, unknown>,
    blocks: runnableBlocks(
      reader,
      (Array.isArray(rawBlocks) ? rawBlocks : []).flatMap(
        (raw, index) => readBlock(reader, raw, itemPath('blocks', index)) ?? [],
      ),
      inPodBlocks(reader, document),
    ),
  };
  checkDag(pipeline, problems);
  return pipeline;
}

/**
 * YAML values as JSON carries them to the pod (`--runtime-vars`): a YAML timestamp, a date or
 * datetime to Mage's YAML loader, becomes the text Python prints for it (`2024-01-01`, or
 * `2024-01-01 10:00:00` for a time of day, in UTC).
 */
function jsonValues(value: unknown): unknown {
  if (value instanceof Date) {
    const text = pythonDatetimeText({ date: value, naive: true });
    return text.endsWith(' 00:00:00') ? text.slice(0, 10) : text;
  }
  if (Array.isArray(value)) return value.map(jsonValues);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonValues(item)]));
  return value;
}

/**
 * The blocks that get block runs, as in Mage: chart, markdown and scratchpad blocks are left out,
 * and blocks of callbacks/conditionals/widgets/extensions (which run inside their block's pod) are
 * no edges of the DAG: an upstream through one of them becomes the upstreams it has. A runnable
 * block may not wait for a block Mage never runs: under Mage it would never start.
 */
function runnableBlocks(
  reader: FieldReader,
  blocks: readonly Block[],
  inPod: ReadonlyMap<string, InPodBlock>,
): Block[] {
  const neverRun = new Map(
    blocks
      .filter((block) => block.type !== null && NON_EXECUTABLE_BLOCK_TYPES.has(block.type))
      .map((block) => [block.uuid, block]),
  );
  return blocks
    .filter((block) => !neverRun.has(block.uuid))
    .map((block) => {
      block.upstreamBlocks.forEach((upstream, index) => {
        const skipped = neverRun.get(upstream);
        if (skipped) {
          reader.problems.error(
            reader.file,
            `${block.keyPath}.upstream_blocks[${index}]`,
            `block "${block.uuid}" waits for ${skipped.type} block "${upstream}", which Mage never runs (so under Mage "${block.uuid}" would never start); expected the uuid of a block that runs: remove "${upstream}" from upstream_blocks`,
          );
        }
      });
      return {
        ...block,
        upstreamBlocks: upstreamsThroughInPodBlocks(
          block.upstreamBlocks.filter((uuid) => !neverRun.has(uuid)),
          block.uuid,
          inPod,
        ),
        downstreamBlocks: block.downstreamBlocks.filter((uuid) => !neverRun.has(uuid) && !inPod.has(uuid)),
      };
    });
}

/** Every attempt is a Job: a thousand retries is already far beyond any sensible pipeline, and `1e12` would be a runaway. */
export const MAX_RETRIES = 1000;
/** Retry delays become timer delays in milliseconds, which cannot exceed 2^31-1 ms (about 24.8 days). */
export const MAX_RETRY_DELAY_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function readBlock(reader: FieldReader & { env: Env }, raw: unknown, path: string): Block | undefined {
  if (!isPlainObject(raw)) {
    reader.problems.error(reader.file, path, `expected a block mapping, got ${describeType(raw)}`);
    return undefined;
  }
  const uuid = readString(reader, raw, 'uuid', path);
  if (!uuid || isReservedKey(uuid)) {
    const wrongTypeReported = raw['uuid'] !== undefined && raw['uuid'] !== null && typeof raw['uuid'] !== 'string';
    if (!wrongTypeReported)
      reader.problems.error(
        reader.file,
        `${path}.uuid`,
        'every block needs a uuid (a non-empty string that is not __proto__, constructor or prototype)',
      );
    return undefined;
  }
  checkBlockKind(reader, raw, uuid, path);
  return {
    uuid,
    type: readString(reader, raw, 'type', path) ?? null,
    upstreamBlocks: readStringList(reader, raw, 'upstream_blocks', path),
    downstreamBlocks: readStringList(reader, raw, 'downstream_blocks', path),
    executorType: readExecutorType(reader, raw, path),
    executorConfig:
      parseExecutorConfig(raw['executor_config'], reader.file, `${path}.executor_config`, reader.problems) ?? null,
    retryConfig: readRetryConfig(reader, raw, path),
    keyPath: path,
  };
}

/** The `retry_config` keys that are set (null counts as unset); Mage merges them key by key. */
function readRetryConfig(reader: FieldReader, object: PlainObject, path: string): Partial<RetryConfig> {
  const retry = readMapping(reader, object, 'retry_config', path);
  const retryPath = childPath(path, 'retry_config');
  const values: Partial<RetryConfig> = {
    retries: readCount(reader, retry, 'retries', retryPath, MAX_RETRIES),
    delay: readCount(reader, retry, 'delay', retryPath, MAX_RETRY_DELAY_SECONDS),
    maxDelay: readCount(reader, retry, 'max_delay', retryPath, MAX_RETRY_DELAY_SECONDS),
    exponentialBackoff: readBoolean(reader, retry, 'exponential_backoff', retryPath),
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Mage renders `executor_type` with Jinja when it picks the executor; so does kubedispatch, when loading. */
function readExecutorType(reader: FieldReader & { env: Env }, object: PlainObject, path: string): string | null {
  const written = readString(reader, object, 'executor_type', path);
  if (written === undefined) return null;
  const rendered = renderExecutorType(written, reader.env);
  if (!rendered.ok) {
    reader.problems.error(reader.file, childPath(path, 'executor_type'), rendered.message);
    return null;
  }
  const type = rendered.value.trim().toLowerCase();
  return type ? type : null;
}
