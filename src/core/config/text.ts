import { toText } from '@bufbuild/protobuf/txtpb';
import { type ModelConfig, ModelConfigSchema } from './gen/model_config_pb.ts';

/**
 * A config as config.pbtxt (protobuf text format, fields in the .proto's declaration order,
 * txtpbfmt's layout), with `header` lines as `#` comments on top. `parseConfigText` reads it back
 * to an equal message.
 */
export function configToText(config: ModelConfig, header: readonly string[] = []): string {
  const comments = header.flatMap((h) => h.split('\n')).map((line) => (line === '' ? '#' : `# ${line}`));
  const body = toText(ModelConfigSchema, config);
  return comments.length > 0 ? `${comments.join('\n')}\n${body}` : body;
}
