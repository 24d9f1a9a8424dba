import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ProblemList } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { parseExecutorConfig } from '../executor-config/parse-config.ts';
import { checkDag } from './dag.ts';
import { describeType, isPlainObject, isReservedKey, itemPath } from './input-shape.ts';
import type { PlainObject } from './input-shape.ts';
import { readBoolean, readCount, readMapping, readString, readStringList } from './mage-fields.ts';
import type { FieldReader } from './mage-fields.ts';
import { DEFAULT_RETRY_CONFIG, unknownPipelineMessage } from './model.ts';
import type { Block, Pipeline, Project } from './model.ts';
import { withKeyLines } from './key-lines.ts';
import { readYamlSource, readYamlSourceAsync } from './safe-yaml.ts';

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
 * Synchronous, for the CLI; long-running processes use readProjectAsync.
 */
export function readProject(dir: string, onlyPipelines?: readonly string[]): ProjectReading {
  const files = projectFiles(dir, onlyPipelines);
  const sources = new Map<string, Source>();
  if (existsSync(files.metadataFile)) {
    for (const file of [files.metadataFile, ...files.pipelines.map(([, file]) => file)]) sources.set(file, sourceOf(() => readYamlSource(file, files.root)));
  }
  return buildProject(files, sources);
}

/** readProject without blocking the event loop while files are read (request paths of the API, the scheduler). */
export async function readProjectAsync(dir: string, onlyPipelines?: readonly string[]): Promise<ProjectReading> {
  const files = projectFiles(dir, onlyPipelines);
  const sources = new Map<string, Source>();
  if (existsSync(files.metadataFile)) {
    const all = [files.metadataFile, ...files.pipelines.map(([, file]) => file)];
    const read = await Promise.all(all.map((file) => readYamlSourceAsync(file, files.root).catch((thrown: unknown) => sourceOf(() => { throw thrown; }))));
    all.forEach((file, index) => sources.set(file, read[index]!));
  }
  return buildProject(files, sources);
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

function buildProject(files: ProjectFiles, sources: ReadonlyMap<string, Source>): ProjectReading {
  const { root, metadataFile } = files;
  const problems = new ProblemList();
  const texts = new Map<string, string>();
  const project: Project = { dir: root, metadataFile, k8sExecutorConfig: null, pipelines: [] };
  if (!sources.has(metadataFile)) {
    problems.error(metadataFile, '', 'not a Mage project: metadata.yaml not found (expected --project to name the project directory)');
    return { project, problems: problems.items };
  }
  const metadata = readDocument(metadataFile, sources, problems, texts);
  if (metadata) {
    project.k8sExecutorConfig = parseExecutorConfig(metadata['k8s_executor_config'], metadataFile, 'k8s_executor_config', problems) ?? null;
  }
  for (const [uuid, file] of files.pipelines) {
    const pipeline = readPipeline(uuid, file, sources, problems, texts);
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
function readDocument(file: string, sources: ReadonlyMap<string, Source>, problems: ProblemList, texts: Map<string, string>): PlainObject | undefined {
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

function readPipeline(uuid: string, file: string, sources: ReadonlyMap<string, Source>, problems: ProblemList, texts: Map<string, string>): Pipeline | undefined {
  const document = readDocument(file, sources, problems, texts);
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

/** Every attempt is a Job: a thousand retries is already far beyond any sensible pipeline, and `1e12` would be a runaway. */
export const MAX_RETRIES = 1000;
/** Retry delays become timer delays in milliseconds, which cannot exceed 2^31-1 ms (about 24.8 days). */
export const MAX_RETRY_DELAY_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

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
  const retry = readMapping(reader, raw, 'retry_config', path);
  const retryPath = `${path}.retry_config`;
  return {
    uuid,
    type: readString(reader, raw, 'type', path) ?? null,
    upstreamBlocks: readStringList(reader, raw, 'upstream_blocks', path),
    downstreamBlocks: readStringList(reader, raw, 'downstream_blocks', path),
    executorType: readExecutorType(reader, raw, path),
    executorConfig: parseExecutorConfig(raw['executor_config'], reader.file, `${path}.executor_config`, reader.problems) ?? null,
    retryConfig: {
      retries: readCount(reader, retry, 'retries', retryPath, MAX_RETRIES) ?? DEFAULT_RETRY_CONFIG.retries,
      delay: readCount(reader, retry, 'delay', retryPath, MAX_RETRY_DELAY_SECONDS) ?? DEFAULT_RETRY_CONFIG.delay,
      maxDelay: readCount(reader, retry, 'max_delay', retryPath, MAX_RETRY_DELAY_SECONDS) ?? DEFAULT_RETRY_CONFIG.maxDelay,
      exponentialBackoff: readBoolean(reader, retry, 'exponential_backoff', retryPath) ?? DEFAULT_RETRY_CONFIG.exponentialBackoff,
    },
    keyPath: path,
  };
}

function readExecutorType(reader: FieldReader, object: PlainObject, path: string): string | null {
  const type = readString(reader, object, 'executor_type', path)?.trim().toLowerCase();
  return type ? type : null;
}
