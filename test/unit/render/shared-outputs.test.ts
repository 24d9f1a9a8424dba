import { describe, expect, it } from 'vitest';
import { validateProject } from '../../../src/render/validate-project.ts';
import { writeTree } from '../support/mage-project.ts';

/** A project whose `report` block reads `load`'s output, with the given project metadata and env. */
function warnings(metadata: Record<string, unknown>, env: Record<string, string> = {}, blocks?: unknown[]) {
  const dir = writeTree({
    'metadata.yaml': { project_uuid: 'x', ...metadata },
    'pipelines/etl/metadata.yaml': {
      uuid: 'etl',
      executor_type: 'k8s',
      blocks: blocks ?? [
        { uuid: 'load', type: 'data_loader', upstream_blocks: [], downstream_blocks: ['report'] },
        { uuid: 'report', type: 'data_exporter', upstream_blocks: ['load'], downstream_blocks: [] },
      ],
    },
  });
  return validateProject(dir, { KUBEDISPATCH_PROJECT_PATH: '/home/src/shop', ...env }, { queuePrefix: 'kd' }).filter(
    (problem) => /pass data/.test(problem.message),
  );
}

const image = { container: { image: 'mageai/mageai:0.9.76' } };
const volume = (name: string, source: Record<string, unknown>) => ({ name, ...source });
const withMount = (mountPath: string, source: Record<string, unknown>, env?: unknown[]) => ({
  k8s_executor_config: {
    pod: { volumes: [volume('data', source)] },
    container: {
      image: 'mageai/mageai:0.9.76',
      volume_mounts: [{ name: 'data', mount_path: mountPath }],
      ...(env ? { env } : {}),
    },
  },
});
const rwx = { persistent_volume_claim: { claim_name: 'mage-data' } };

describe('the shared-outputs warning of validate', () => {
  it('warns when blocks pass data and the Jobs keep outputs on their own disk, naming the variables root and both fixes', () => {
    const found = warnings({ k8s_executor_config: image });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'warning', keyPath: 'blocks[1].upstream_blocks' });
    expect(found[0]?.message).toMatch(/"report" reads "load"/);
    expect(found[0]?.message).toMatch(/under \/home\/src\/mage_data\/shop /);
    expect(found[0]?.message).toMatch(
      /mount a ReadWriteMany volume at \/home\/src\/mage_data\/shop.*remote_variables_dir: s3:\/\//,
    );
  });

  it.each([
    ['a claim mounted at the variables root', withMount('/home/src/mage_data/shop', rwx)],
    ['a claim mounted above it', withMount('/home/src', rwx)],
    [
      'a claim at the root that MAGE_DATA_DIR moves',
      withMount('/data/shop', rwx, [{ name: 'MAGE_DATA_DIR', value: '/data' }]),
    ],
    ['remote_variables_dir', { remote_variables_dir: 's3://bucket/mage', k8s_executor_config: image }],
  ])('is quiet with %s', (_name, metadata) => {
    expect(warnings(metadata)).toEqual([]);
  });

  it.each([
    ['an emptyDir at the root (it dies with the pod)', withMount('/home/src/mage_data/shop', { empty_dir: {} })],
    ['a claim mounted elsewhere', withMount('/home/src/shop', rwx)],
    [
      'a claim at /home/src/mage_data/shop when MAGE_DATA_DIR moves the root',
      withMount('/home/src/mage_data/shop', rwx, [{ name: 'MAGE_DATA_DIR', value: '/data' }]),
    ],
    [
      "Mage's placeholder remote_variables_dir, which Mage treats as unset",
      { remote_variables_dir: 's3://bucket/path_prefix', k8s_executor_config: image },
    ],
  ])('warns with %s', (_name, metadata) => {
    expect(warnings(metadata)).toHaveLength(1);
  });

  it('is quiet when no block reads another', () => {
    expect(
      warnings({ k8s_executor_config: image }, {}, [
        { uuid: 'alone', type: 'custom' },
        { uuid: 'other', type: 'custom' },
      ]),
    ).toEqual([]);
  });
});
