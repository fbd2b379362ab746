import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import type { GrpcContext } from './context.ts';
import {
  type ModelConfigRequest,
  type ModelConfigResponse,
  ModelConfigResponseSchema,
  type ModelMetadataRequest,
  type ModelMetadataResponse,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  type ModelReadyRequest,
  type ModelReadyResponse,
  ModelReadyResponseSchema,
  type ModelStatisticsRequest,
  type ModelStatisticsResponse,
  ModelStatisticsResponseSchema,
  type ServerLiveResponse,
  ServerLiveResponseSchema,
  type ServerMetadataResponse,
  ServerMetadataResponseSchema,
  type ServerReadyResponse,
  ServerReadyResponseSchema,
} from './gen/grpc_service_pb.ts';

type TensorMeta = { name: string; datatype: string; shape: number[] };

const version = (v: string): string | undefined => (v === '' ? undefined : v);

/** Health, metadata, config and statistics: what the HTTP endpoints answer, as gRPC messages. */
export function metadataHandlers(g: GrpcContext) {
  const { server } = g;
  return {
    serverLive: async (): Promise<ServerLiveResponse> => create(ServerLiveResponseSchema, { live: await server.isLive() }),
    serverReady: async (): Promise<ServerReadyResponse> => create(ServerReadyResponseSchema, { ready: await server.isReady() }),
    // An unknown model (or version) is not ready: `ready: false`, not an error (Triton's gRPC frontend).
    modelReady: async (req: ModelReadyRequest): Promise<ModelReadyResponse> => {
      let ready = false;
      try {
        ready = await server.modelReady(req.name, version(req.version));
      } catch {
        ready = false;
      }
      return create(ModelReadyResponseSchema, { ready });
    },
    serverMetadata: async (): Promise<ServerMetadataResponse> => create(ServerMetadataResponseSchema, await server.metadata()),
    modelMetadata: async (req: ModelMetadataRequest): Promise<ModelMetadataResponse> => {
      const m = (await server.modelMetadata(req.name, version(req.version))) as {
        name: string;
        versions: string[];
        platform: string;
        inputs: TensorMeta[];
        outputs: TensorMeta[];
      };
      const tensor = (t: TensorMeta) => create(ModelMetadataResponse_TensorMetadataSchema, { name: t.name, datatype: t.datatype, shape: t.shape.map(BigInt) });
      return create(ModelMetadataResponseSchema, {
        name: m.name,
        versions: m.versions,
        platform: m.platform,
        inputs: m.inputs.map(tensor),
        outputs: m.outputs.map(tensor),
      });
    },
    modelConfig: async (req: ModelConfigRequest): Promise<ModelConfigResponse> =>
      create(ModelConfigResponseSchema, { config: await server.modelConfigMessage(req.name, version(req.version)) }),
    // The statistics' JSON keys are the message's field names: one conversion, no second table.
    modelStatistics: async (req: ModelStatisticsRequest): Promise<ModelStatisticsResponse> =>
      fromJson(ModelStatisticsResponseSchema, (await server.modelStats(req.name || undefined, version(req.version))) as unknown as JsonValue, {
        ignoreUnknownFields: true,
      }),
  };
}
