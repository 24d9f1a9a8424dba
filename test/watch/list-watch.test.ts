import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterAccess, ListPage, WatchEventHandler } from '../../src/watch/cluster-access.ts';
import { ListWatch, type ListWatchHandlers, type RestartCause } from '../../src/watch/list-watch.ts';
import { eventually } from './support/eventually.ts';

interface OpenWatch {
  resourceVersion: string;
  emit: WatchEventHandler;
  end(error?: Error): void;
}

const job = (name: string, resourceVersion: string) => ({ metadata: { name, namespace: 'ns', resourceVersion } });

/** A cluster whose list answers are queued by the test and whose watches the test drives by hand. */
class ScriptedCluster implements Partial<ClusterAccess> {
  lists: (ListPage | Error)[] = [];
  listCalls = 0;
  watches: OpenWatch[] = [];

  async list(): Promise<ListPage> {
    this.listCalls += 1;
    const next = this.lists.shift() ?? new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(
    _kind: unknown,
    _namespace: unknown,
    resourceVersion: string,
    onEvent: WatchEventHandler,
    done: (error: Error | undefined) => void,
  ) {
    let ended = false;
    const end = (error?: Error): void => {
      if (!ended) done(error);
      ended = true;
    };
    this.watches.push({ resourceVersion, emit: onEvent, end });
    return { abort: () => end() };
  }

  get current(): OpenWatch {
    return this.watches.at(-1)!;
  }
}

function recorder(overrides: Partial<ListWatchHandlers> = {}) {
  const log = {
    upserts: [] as string[],
    removed: [] as string[],
    relisted: [] as string[][],
    restarts: [] as RestartCause[],
    errors: [] as string[],
  };
  const name = (raw: unknown) => (raw as { metadata: { name: string } }).metadata.name;
  const handlers: ListWatchHandlers = {
    upsert: (raw) => log.upserts.push(name(raw)),
    removed: (raw) => log.removed.push(name(raw)),
    relisted: (seen) => log.relisted.push([...seen]),
    restarted: (cause) => log.restarts.push(cause),
    error: (error, context) => log.errors.push(`${context}: ${error.message}`),
    ...overrides,
  };
  return { log, handlers };
}

describe('ListWatch', () => {
  let listWatch: ListWatch | undefined;
  afterEach(() => listWatch?.stop());

  function start(cluster: ScriptedCluster, handlers: ListWatchHandlers): ListWatch {
    listWatch = new ListWatch(cluster as unknown as ClusterAccess, handlers, {
      kind: 'jobs',
      namespace: 'ns',
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    listWatch.start();
    return listWatch;
  }

  it('lists page by page, then watches from the list version and resumes from the last version seen, bookmarks included', async () => {
    const cluster = new ScriptedCluster();
    cluster.lists = [
      { items: [job('a', '5')], resourceVersion: '10', continueToken: 'page2' },
      { items: [job('b', '6')], resourceVersion: '10', continueToken: undefined },
    ];
    const { log, handlers } = recorder();
    const lw = start(cluster, handlers);
    await eventually('the first watch', () => cluster.watches[0]);
    expect(lw.synced).toBe(true);
    expect(log.relisted).toEqual([['ns/a', 'ns/b']]);
    expect(cluster.current.resourceVersion).toBe('10');

    cluster.current.emit('MODIFIED', job('a', '11'));
    cluster.current.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
    cluster.current.end();
    await eventually('a resumed watch', () => cluster.watches[1]);
    expect(cluster.current.resourceVersion).toBe('15');
    expect(log.restarts).toEqual(['closed']);

    const idle = new Error('The operation was aborted due to timeout');
    idle.name = 'TimeoutError';
    cluster.current.emit('DELETED', job('b', '16'));
    cluster.current.end(idle);
    await eventually('a watch after the idle timeout', () => cluster.watches[2]);
    expect(cluster.current.resourceVersion).toBe('16');
    expect(log.restarts).toEqual(['closed', 'idle']);
    expect(log.upserts).toEqual(['a', 'b', 'a']);
    expect(log.removed).toEqual(['b']);
    expect(cluster.listCalls).toBe(2);
  });

  it('stops promptly when stopped during its first list, opening no watch that nothing would end', async () => {
    let answerList: ((page: ListPage) => void) | undefined;
    const cluster = new ScriptedCluster();
    cluster.list = () => new Promise<ListPage>((resolve) => (answerList = resolve));
    const lw = start(cluster, recorder().handlers);
    const answer = await eventually('the list request', () => answerList);
    const stopped = lw.stop();
    answer({ items: [job('a', '5')], resourceVersion: '10', continueToken: undefined });
    await stopped;
    expect(cluster.watches).toEqual([]);
  });

  it('relists when 410 Gone arrives mid-stream as an ERROR event, or as the watch response', async () => {
    const cluster = new ScriptedCluster();
    cluster.lists = [
      { items: [job('a', '5')], resourceVersion: '10', continueToken: undefined },
      { items: [job('c', '30')], resourceVersion: '30', continueToken: undefined },
      { items: [], resourceVersion: '40', continueToken: undefined },
    ];
    const { log, handlers } = recorder();
    start(cluster, handlers);
    await eventually('the first watch', () => cluster.watches[0]);
    cluster.current.emit('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 10 (20)',
    });
    await eventually('a watch after the relist', () => cluster.watches[1]);
    expect(cluster.current.resourceVersion).toBe('30');
    expect(log.relisted).toEqual([['ns/a'], ['ns/c']]);

    cluster.current.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await eventually('a watch after the second relist', () => cluster.watches[2]);
    expect(cluster.current.resourceVersion).toBe('40');
    expect(log.restarts).toEqual(['gone', 'gone']);
  });

  it('goes on after a handler throws on one object and after failed lists', async () => {
    const cluster = new ScriptedCluster();
    cluster.lists = [
      new Error('503 from the API'),
      { items: [job('bad', '1'), job('good', '2')], resourceVersion: '3', continueToken: undefined },
    ];
    const { log, handlers } = recorder();
    const upsert = handlers.upsert;
    handlers.upsert = (raw) => {
      if ((raw as { metadata: { name: string } }).metadata.name === 'bad') throw new Error('cannot read this one');
      upsert(raw);
    };
    start(cluster, handlers);
    await eventually('the first watch', () => cluster.watches[0]);
    cluster.current.emit('ADDED', job('bad', '4'));
    cluster.current.emit('ADDED', job('later', '5'));
    expect(log.upserts).toEqual(['good', 'later']);
    expect(log.errors).toEqual([
      'list jobs in ns: 503 from the API',
      'upsert jobs ns/bad: cannot read this one',
      'upsert jobs ns/bad: cannot read this one',
    ]);
    expect(cluster.current.resourceVersion).toBe('3');
  });
});
