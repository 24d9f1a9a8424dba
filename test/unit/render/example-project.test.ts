import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_BEHAVIOURS_FILE, EXAMPLE_PROJECT_DIR } from '../../../src/demo/run-demo.ts';
import { loadProject } from '../../../src/project/load-project.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { renderBlockJob } from '../../../src/render/render-block-job.ts';
import { podAnnotations, readBehaviourRules } from '../../../src/sim/behaviour-rules.ts';
import { BEHAVIOR_ANNOTATIONS } from '../../../src/sim/pod-behavior.ts';

const SIM_PREFIX = BEHAVIOR_ANNOTATIONS.duration.split('/')[0]!;
/** Mage's folder for each block type (`<type>s`, as Mage writes new blocks). */
const folderOf = (type: string) => `${type === 'custom' ? 'custom' : `${type}s`}`;

describe('examples/project', () => {
  const project = loadProject(EXAMPLE_PROJECT_DIR, undefined, {});
  const context = loadRenderContext({}, { queuePrefix: 'kd' });

  it("has the layout Mage creates: io_config.yaml, requirements.txt, and each block's source in its folder with its decorator", () => {
    for (const file of ['metadata.yaml', 'io_config.yaml', 'requirements.txt', '__init__.py'])
      expect(existsSync(join(EXAMPLE_PROJECT_DIR, file)), file).toBe(true);
    for (const pipeline of project.pipelines) {
      for (const block of pipeline.blocks) {
        const source = readFileSync(join(EXAMPLE_PROJECT_DIR, folderOf(block.type!), `${block.uuid}.py`), 'utf8');
        expect(source).toContain(`from mage_ai.data_preparation.decorators import ${block.type}`);
        expect(source).toContain(`@${block.type}\n`);
      }
    }
  });

  it('renders Jobs without simulation annotations', () => {
    let rendered = 0;
    for (const pipeline of project.pipelines) {
      for (const block of pipeline.blocks) {
        const { job } = renderBlockJob(context, project, pipeline.uuid, block.uuid, {
          pipelineRunId: 1,
          blockRunId: 1,
          attempt: 1,
          executionPartition: 'manual/x_1',
          runtimeVariables: {},
        });
        const keys = [
          ...Object.keys(job.metadata?.annotations ?? {}),
          ...Object.keys(job.spec?.template.metadata?.annotations ?? {}),
        ];
        expect(
          keys.filter((key) => key.startsWith(SIM_PREFIX)),
          `${pipeline.uuid}/${block.uuid}`,
        ).toEqual([]);
        rendered += 1;
      }
    }
    expect(rendered).toBe(8);
    expect(readFileSync(join(EXAMPLE_PROJECT_DIR, 'metadata.yaml'), 'utf8')).not.toContain(SIM_PREFIX);
  });

  it('gets its simulated behaviour from the demo rules file, matched on the pod template', () => {
    const rules = readBehaviourRules(DEMO_BEHAVIOURS_FILE);
    const { job } = renderBlockJob(context, project, 'demo_etl', 'clean_orders', {
      pipelineRunId: 1,
      blockRunId: 1,
      attempt: 1,
      executionPartition: 'manual/x_1',
      runtimeVariables: {},
    });
    expect(podAnnotations(rules, job.spec!.template.metadata!)).toMatchObject({
      [BEHAVIOR_ANNOTATIONS.duration]: '2s',
      [BEHAVIOR_ANNOTATIONS.failuresBeforeSuccess]: '1',
      [BEHAVIOR_ANNOTATIONS.exitCode]: '3',
    });
    const hello = renderBlockJob(context, project, 'hello_k8s', 'say_hello', {
      pipelineRunId: 1,
      blockRunId: 2,
      attempt: 1,
      executionPartition: 'manual/x_1',
      runtimeVariables: {},
    }).job;
    expect(podAnnotations(rules, hello.spec!.template.metadata!)).toEqual({
      ...hello.spec!.template.metadata!.annotations,
      [BEHAVIOR_ANNOTATIONS.duration]: '2s',
    });
  });

  it("lets a pod template's own simulation annotations win over the rules", () => {
    const rules = [{ match: {}, annotations: { [BEHAVIOR_ANNOTATIONS.duration]: '2s' } }];
    expect(podAnnotations(rules, { annotations: { [BEHAVIOR_ANNOTATIONS.duration]: '9s' } })).toEqual({
      [BEHAVIOR_ANNOTATIONS.duration]: '9s',
    });
    expect(podAnnotations([], {})).toBeUndefined();
  });
});
