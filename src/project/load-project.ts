import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ProblemList } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { parseExecutorConfig } from '../executor-config/parse-config.ts';
import { checkDag } from './dag.ts';
import { childPath, describeType, isPlainObject, isReservedKey, itemPath } from './input-shape.ts';
import type { PlainObject } from './input-shape.ts';
import { readBoolean, readCount, readMapping, readString, readStringList } from './mage-fields.ts';
import type { FieldReader } from './mage-fields.ts';
import { unknownPipelineMessage } from './model.ts';
import type { Block, Pipeline, Project, RetryConfig } from './model.ts';
import { withKeyLines } from './key-lines.ts';
import { readYamlSource } from './safe-yaml.ts';

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
export function loadProject(dir: string, onlyPipelines?: readonly string[]): Project {
  const { project, problems } = readProject(dir, onlyPipelines);
  if (problems.some((problem) => problem.severity === 'error')) throw new ConfigError(problems);
  const missing = (onlyPipelines ?? []).find((uuid) => !project.pipelines.some((pipeline) => pipeline.uuid === uuid));
  if (missing !== undefined) throw unknownPipeline(project, missing);
  return project;
}

/** A pipeline that is not in the project, naming those on disk (also those not read). */
export function unknownPipeline(project: Project, uuid: string): ConfigError {
  return ConfigError.single(project.metadataFile, 'pipelines', unknownPipelineMessage(uuid, pipelineUuids(project.dir)));
}

/**
 * Reads a Mage project and reports every problem found instead of stopping at the first. With
 * `onlyPipelines`, reads just those pipelines (a run needs one, and large projects have many).
 */
export function readProject(dir: string, onlyPipelines?: readonly string[]): ProjectReading {
  const root = resolve(dir);
  const metadataFile = join(root, 'metadata.yaml');
  const problems = new ProblemList();
  const texts = new Map<string, string>();
  const project: Project = { dir: root, metadataFile, k8sExecutorConfig: null, retryConfig: {}, pipelines: [] };
  if (!existsSync(metadataFile)) {
    problems.error(metadataFile, '', 'not a Mage project: metadata.yaml not found (expected --project to name the project directory)');
    return { project, problems: problems.items };
  }
  const metadata = readDocument(metadataFile, problems, texts);
  if (metadata) {
    project.k8sExecutorConfig = parseExecutorConfig(metadata['k8s_executor_config'], metadataFile, 'k8s_executor_config', problems) ?? null;
    project.retryConfig = readRetryConfig({ file: metadataFile, problems }, metadata, '');
  }
  const wanted = onlyPipelines ? new Set(onlyPipelines) : undefined;
  for (const uuid of pipelineUuids(root)) {
    if (wanted && !wanted.has(uuid)) continue;
    const pipeline = readPipeline(uuid, join(root, 'pipelines', uuid, 'metadata.yaml'), problems, texts);
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
function readDocument(file: string, problems: ProblemList, texts: Map<string, string>): PlainObject | undefined {
  try {
    const source = readYamlSource(file);
    texts.set(file, source.text);
    const document = source.document ?? {};
    if (isPlainObject(document)) return document;
    problems.error(file, '', `expected a mapping at the top level, got ${describeType(document)}`);
  } catch (thrown) {
    if (!(thrown instanceof ConfigError)) throw thrown;
    problems.addAll(thrown.problems);
  }
  return undefined;
}

function readPipeline(uuid: string, file: string, problems: ProblemList, texts: Map<string, string>): Pipeline | undefined {
  const document = readDocument(file, problems, texts);
  if (!document) return undefined;
  const reader: FieldReader = { file, problems };
  const declaredUuid = readString(reader, document, 'uuid', '');
  if (declaredUuid !== undefined && declaredUuid !== uuid) {
    problems.warning(file, 'uuid', `uuid "${declaredUuid}" differs from the folder name "${uuid}"; the folder name is used, as in Mage`);
  }
  const concurrency = readMapping(reader, document, 'concurrency_config', '');
  const rawBlocks = document['blocks'] ?? [];
  if (!Array.isArray(rawBlocks)) problems.error(file, 'blocks', `expected a list of blocks, got ${describeType(rawBlocks)}`);
  const pipeline: Pipeline = {
    uuid,
    file,
    executorType: readExecutorType(reader, document, ''),
    executorConfig: parseExecutorConfig(document['executor_config'], file, 'executor_config', problems) ?? null,
    concurrencyConfig: {
      blockRunLimit: readCount(reader, concurrency, 'block_run_limit', 'concurrency_config') ?? null,
      pipelineRunLimit: readCount(reader, concurrency, 'pipeline_run_limit', 'concurrency_config') ?? null,
    },
    blocks: (Array.isArray(rawBlocks) ? rawBlocks : []).flatMap((raw, index) => readBlock(reader, raw, itemPath('blocks', index)) ?? []),
  };
  checkDag(pipeline, problems);
  return pipeline;
}

function readBlock(reader: FieldReader, raw: unknown, path: string): Block | undefined {
  if (!isPlainObject(raw)) {
    reader.problems.error(reader.file, path, `expected a block mapping, got ${describeType(raw)}`);
    return undefined;
  }
  const uuid = readString(reader, raw, 'uuid', path);
  if (!uuid || isReservedKey(uuid)) {
    const wrongTypeReported = raw['uuid'] !== undefined && raw['uuid'] !== null && typeof raw['uuid'] !== 'string';
    if (!wrongTypeReported) reader.problems.error(reader.file, `${path}.uuid`, 'every block needs a uuid (a non-empty string that is not __proto__, constructor or prototype)');
    return undefined;
  }
  return {
    uuid,
    type: readString(reader, raw, 'type', path) ?? null,
    upstreamBlocks: readStringList(reader, raw, 'upstream_blocks', path),
    downstreamBlocks: readStringList(reader, raw, 'downstream_blocks', path),
    executorType: readExecutorType(reader, raw, path),
    executorConfig: parseExecutorConfig(raw['executor_config'], reader.file, `${path}.executor_config`, reader.problems) ?? null,
    retryConfig: readRetryConfig(reader, raw, path),
    keyPath: path,
  };
}

/** The `retry_config` keys that are set (null counts as unset); Mage merges them key by key. */
function readRetryConfig(reader: FieldReader, object: PlainObject, path: string): Partial<RetryConfig> {
  const retry = readMapping(reader, object, 'retry_config', path);
  const retryPath = childPath(path, 'retry_config');
  const values: Partial<RetryConfig> = {
    retries: readCount(reader, retry, 'retries', retryPath),
    delay: readCount(reader, retry, 'delay', retryPath),
    maxDelay: readCount(reader, retry, 'max_delay', retryPath),
    exponentialBackoff: readBoolean(reader, retry, 'exponential_backoff', retryPath),
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function readExecutorType(reader: FieldReader, object: PlainObject, path: string): string | null {
  const type = readString(reader, object, 'executor_type', path)?.trim().toLowerCase();
  return type ? type : null;
}
