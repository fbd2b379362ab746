import type { ExecResult } from '../backend/backend.ts';
import { ensembleScheduling } from '../config/accessors.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { type Clock, elapsedNs } from '../clock.ts';
import { serverError, toServerError } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { NamedTensor, Tensor } from '../types.ts';
import { SchedulerBase, stoppingError } from './base.ts';
import type { ScheduledResult, ScheduleItem } from './scheduler.ts';

/** Finds a composing model's serving version (taking a reference) for a step. */
export type StepResolver = (stepIndex: number, version: bigint) => ModelVersion;

/**
 * Runs an ensemble's steps as a dataflow graph: a step starts as soon as every tensor it reads
 * exists, so independent steps run concurrently. Each step goes through its composing model's
 * own scheduler (its batcher applies).
 */
export class EnsembleScheduler extends SchedulerBase {
  private readonly config: ModelConfig;
  private readonly resolve: StepResolver;

  constructor(config: ModelConfig, resolve: StepResolver, clock: Clock) {
    // The steps' own schedulers count their pending requests; the ensemble counts none of its own.
    super(clock, undefined);
    this.config = config;
    this.resolve = resolve;
  }

  async enqueue(item: ScheduleItem): Promise<ScheduledResult> {
    if (this.stopping) throw stoppingError(item.id);
    this.enterQueue();
    this.startRunning(1);
    const start = this.clock.now();
    try {
      const result = await this.run(item);
      return { result, queueNs: 0, inputNs: 0, inferNs: elapsedNs(start, this.clock.now()), outputNs: 0 };
    } finally {
      this.finishRunning(1);
    }
  }

  private async run(item: ScheduleItem): Promise<ExecResult> {
    const steps = ensembleScheduling(this.config)!.step;
    const tensors = new Map<string, Tensor>(item.exec.inputs);
    const started = new Set<number>();
    const inflight = new Map<number, Promise<void>>();
    let failure: Error | undefined;
    const launch = (i: number) => {
      started.add(i);
      const p = this.runStep(i, item, tensors)
        .catch((e) => {
          failure ??= e as Error;
        })
        .finally(() => inflight.delete(i));
      inflight.set(i, p);
    };
    for (;;) {
      if (!failure) {
        steps.forEach((s, i) => {
          if (!started.has(i) && Object.values(s.inputMap).every((t) => tensors.has(t))) launch(i);
        });
      }
      if (inflight.size === 0) break;
      await Promise.race(inflight.values());
    }
    if (failure) throw failure;
    const outputs = new Map<string, Tensor>();
    for (const name of item.exec.outputs) {
      const t = tensors.get(name);
      if (!t) throw serverError('INTERNAL', `in ensemble '${this.config.name}', output '${name}' was not produced`);
      outputs.set(name, t);
    }
    return { outputs };
  }

  private async runStep(i: number, item: ScheduleItem, tensors: Map<string, Tensor>): Promise<void> {
    const step = ensembleScheduling(this.config)!.step[i]!;
    let mv: ModelVersion;
    try {
      mv = this.resolve(i, step.modelVersion);
    } catch (e) {
      throw stepError(this.config.name, i, step.modelName, e);
    }
    try {
      const inputs: NamedTensor[] = Object.entries(step.inputMap).map(([name, t]) => {
        const { datatype, shape, data } = tensors.get(t)!;
        return { name, datatype, shape, data };
      });
      const res = await mv.infer({
        model: step.modelName,
        id: item.id,
        inputs,
        outputs: Object.keys(step.outputMap).map((name) => ({ name })),
        parameters: item.exec.parameters,
        sequence: item.sequence,
        priority: item.priority,
        timeoutUs: item.timeoutUs,
        signal: item.signal,
      });
      for (const out of res.outputs) {
        const target = step.outputMap[out.name];
        if (target !== undefined) tensors.set(target, { datatype: out.datatype, shape: out.shape, data: out.data });
      }
    } catch (e) {
      throw stepError(this.config.name, i, step.modelName, e);
    } finally {
      mv.release();
    }
  }
}

function stepError(ensemble: string, i: number, model: string, e: unknown): Error {
  const err = toServerError(e);
  return serverError(err.code, `in ensemble '${ensemble}', step ${i} (model '${model}'): ${err.message}`, e);
}
