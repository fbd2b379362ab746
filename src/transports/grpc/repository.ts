import { create } from '@bufbuild/protobuf';
import { invalidArg, type LoadOptions, unsupported } from '../../core/index.ts';
import { type AuditedAction, auditAction, checkFilePath, parseConfigOverride } from '../repository-actions.ts';
import type { CallContext, GrpcContext } from './context.ts';
import {
  type ModelRepositoryParameter,
  type RepositoryIndexRequest,
  type RepositoryIndexResponse,
  RepositoryIndexResponse_ModelIndexSchema,
  RepositoryIndexResponseSchema,
  type RepositoryModelLoadRequest,
  type RepositoryModelLoadResponse,
  RepositoryModelLoadResponseSchema,
  type RepositoryModelUnloadRequest,
  type RepositoryModelUnloadResponse,
  RepositoryModelUnloadResponseSchema,
} from './gen/grpc_service_pb.ts';
import { grpcCode, grpcMessage } from './status.ts';

/** The model repository extension: index, load (config and `file:` overrides) and unload, audited as over HTTP. */
export function repositoryHandlers(g: GrpcContext) {
  const { server } = g;
  /** Runs a load or unload, writes its audit line whatever the outcome, and ends the call with it. */
  const audited = async (what: AuditedAction, ctx: CallContext, fn: () => Promise<void>): Promise<void> => {
    let failure: unknown;
    try {
      await fn();
    } catch (e) {
      failure = e;
    }
    const outcome = failure === undefined ? { status: 0, result: 'ok' } : { status: grpcCode(failure) as number, result: grpcMessage(failure) };
    await auditAction(server, g.audit, what, { ...outcome, source: ctx.peer, protocol: 'grpc' });
    if (failure !== undefined) throw failure;
  };
  return {
    // The repository name is accepted and ignored, as by the HTTP route /v2/repository/{repo}/index.
    repositoryIndex: async (req: RepositoryIndexRequest): Promise<RepositoryIndexResponse> =>
      create(RepositoryIndexResponseSchema, {
        models: (await server.index(req.ready)).map((e) =>
          create(RepositoryIndexResponse_ModelIndexSchema, { name: e.name, version: e.version ?? '', state: e.state ?? '', reason: e.reason ?? '' }),
        ),
      }),
    repositoryModelLoad: async (req: RepositoryModelLoadRequest, ctx: CallContext): Promise<RepositoryModelLoadResponse> => {
      const model = modelName(req);
      const opts = loadOptions(req.parameters);
      const what = { action: 'load' as const, model, config_override: opts.config !== undefined, files: opts.files!.size };
      await audited(what, ctx, () => server.load(model, opts));
      return create(RepositoryModelLoadResponseSchema);
    },
    repositoryModelUnload: async (req: RepositoryModelUnloadRequest, ctx: CallContext): Promise<RepositoryModelUnloadResponse> => {
      const model = modelName(req);
      const flag = req.parameters.unload_dependents?.parameterChoice;
      if (flag !== undefined && flag.case !== 'boolParam') throw invalidArg(`invalid value type for 'unload_dependents' parameter, expected bool_param.`);
      const what = { action: 'unload' as const, model, config_override: false, files: 0 };
      await audited(what, ctx, () => server.unload(model, { unloadDependents: flag?.value === true }));
      return create(RepositoryModelUnloadResponseSchema);
    },
  };
}

/**
 * The model to load or unload. KServe's Python server sends `{ model_name = 1 }`, which a
 * Triton-shaped message reads as `repository_name`: with no `model_name`, that is the model.
 */
function modelName(req: { repositoryName: string; modelName: string }): string {
  if (req.modelName === '') return req.repositoryName;
  if (req.repositoryName !== '') throw unsupported(`'repository_name' specification is not supported`);
  return req.modelName;
}

/** `config` (string_param, Triton's JSON ModelConfig) and `file:<version>/<path>` (bytes_param, raw bytes). */
function loadOptions(params: Record<string, ModelRepositoryParameter>): LoadOptions {
  const opts: LoadOptions = { files: new Map() };
  for (const [key, p] of Object.entries(params)) {
    const v = p.parameterChoice;
    if (key === 'config') {
      if (v.case !== 'stringParam') throw invalidArg(`invalid value type for 'config' parameter, expected string_param.`);
      opts.config = parseConfigOverride(v.value);
    } else if (key.startsWith('file:')) {
      if (v.case !== 'bytesParam') throw invalidArg(`invalid value type for '${key}' parameter, expected bytes_param.`);
      opts.files!.set(checkFilePath(key.slice(5)), v.value);
    } else {
      throw invalidArg(`unexpected load parameter '${key}': expected 'config' or 'file:<version>/<path>'`);
    }
  }
  return opts;
}
