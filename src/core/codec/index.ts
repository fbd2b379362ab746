// The KServe v2 wire codec, the one every transport uses: decode an infer request from a body (JSON
// header + binary tensor data), parse request parameters once, encode a response as parts.
export { type DecodeOptions, decodeInferRequest } from './kserve-request.ts';
export { binaryOutputs, type EncodedResponse, encodeInferResponse, joinParts, outputBytes } from './kserve-response.ts';
export { plainParameters, RESERVED_PARAMETERS, requestParameters, type RequestParameterFields } from './parameters.ts';
export { bodyOf, type ClientOutput, type ClientRequest, type ClientResponse, type ClientTensor, decodeClientResponse, encodeClientRequest } from './client.ts';
export { decodeGenerateRequest, encodeGenerateResponse, type GenerateInput, generateShape } from './generate.ts';
