export { createXuqm, unwrap, XuqmError, type Xuqm, type XuqmOptions, type Schemas, type FieldError, type Unwrapped } from "./http.ts";
export { signRequest, signature, canonicalQuery, type SignOptions, type SignatureParts } from "./signature.ts";
export { IMClient, type IMOptions, type IMEvents, type IMState, type Position, type Token, type WebSocketLike, type WebSocketConstructor } from "./im.ts";
export * from "./frames.ts";
export type { paths, components, operations } from "./gen/openapi.ts";
