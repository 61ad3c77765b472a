// A thin typed wrapper over openapi-fetch: every call answers the envelope's `data` or throws a
// XuqmError carrying the envelope's code, message and field errors.
import createClient, { type Client, type FetchResponse, type MaybeOptionalInit, type Middleware } from "openapi-fetch";
import type { HttpMethod, MediaType, PathsWithMethod } from "openapi-typescript-helpers";
import type { components, paths } from "./gen/openapi.ts";
import { signRequest, type SignOptions } from "./signature.ts";

export type Schemas = components["schemas"];
export type FieldError = Schemas["FieldError"];

/** An error envelope (or a failure to reach the server) as an exception. */
export class XuqmError extends Error {
  /** The envelope's code: the HTTP status (0 when no response came). */
  readonly code: number;
  /** The envelope's status, "1" for errors. */
  readonly status: string;
  /** The field errors of a 400; empty otherwise. */
  readonly fieldErrors: FieldError[];
  /** The response, when there was one. */
  readonly response?: Response;

  constructor(code: number, message: string, fieldErrors: FieldError[] = [], response?: Response, status = "1") {
    super(message);
    this.name = "XuqmError";
    this.code = code;
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.response = response;
  }

  /** The request id the server logged the failure under (500s name it in the message too). */
  get requestId(): string | undefined {
    return this.response?.headers.get("X-Request-Id") ?? undefined;
  }
}

type Envelope = { code: number; status: string; message: string; data?: unknown };

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === "object" && v !== null && "code" in v && "status" in v && "message" in v;
}

/** The envelope's data of a successful call's response type. */
export type Unwrapped<R> = R extends { data: infer E; error?: never } ? (E extends { data: infer D } ? D : E) : never;

/** Turns an openapi-fetch result into the envelope's data, or throws XuqmError. */
export async function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<R>): Promise<Unwrapped<R>> {
  let result: R;
  try {
    result = await call;
  } catch (e) {
    if (e instanceof XuqmError) throw e;
    throw new XuqmError(0, `the server could not be reached: ${e instanceof Error ? e.message : String(e)}`, [], undefined);
  }
  const { response } = result;
  if (response.ok && result.error === undefined) {
    const body = result.data;
    return (isEnvelope(body) ? body.data : body) as Unwrapped<R>;
  }
  const body = result.error;
  if (isEnvelope(body)) {
    const fields = Array.isArray(body.data) ? (body.data as FieldError[]) : [];
    throw new XuqmError(body.code, body.message, fields, response, body.status);
  }
  // Not an envelope: a proxy's page, or a body that is not JSON.
  const text = typeof body === "string" && body !== "" ? `: ${body.slice(0, 200)}` : "";
  throw new XuqmError(response.status, `HTTP ${response.status} ${response.statusText}${text}`, [], response);
}

// InitParam of openapi-fetch (not exported there): the init argument is optional when nothing in it is required.
type RequiredKeysOf<T> = { [K in keyof T]: {} extends Pick<T, K> ? never : K }[keyof T] extends infer R
  ? R extends undefined
    ? never
    : R
  : never;
type InitParam<Init> = RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];

type UnwrappingMethod<Method extends HttpMethod> = <
  Path extends PathsWithMethod<paths, Method>,
  Init extends MaybeOptionalInit<paths[Path], Method>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<Unwrapped<FetchResponse<paths[Path][Method] & Record<string | number, any>, Init, MediaType>>>;

export interface XuqmOptions {
  /** The server, e.g. "https://api.example.com" (no trailing /api). */
  baseUrl: string;
  /** The bearer token (tenant, ops, IM or demo JWT), or a function that returns the current one. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /**
   * Signs every request as the app's back end (the app-server signature, ./signature.ts). For servers
   * only: never ship a secret inside an app.
   */
  sign?: SignOptions;
  /** A fetch to use instead of the global one. */
  fetch?: (input: Request) => Promise<Response>;
}

/** The typed client: GET/POST/PUT/DELETE answer the envelope's data, or throw XuqmError. */
export interface Xuqm {
  GET: UnwrappingMethod<"get">;
  POST: UnwrappingMethod<"post">;
  PUT: UnwrappingMethod<"put">;
  DELETE: UnwrappingMethod<"delete">;
  /** The openapi-fetch client underneath, for downloads (parseAs: "blob") and raw responses. */
  raw: Client<paths>;
  /** Replaces the bearer token of later calls. */
  setToken(token: XuqmOptions["token"]): void;
}

export function createXuqm(opts: XuqmOptions): Xuqm {
  let token = opts.token;
  const raw = createClient<paths>({ baseUrl: opts.baseUrl.replace(/\/+$/, ""), fetch: opts.fetch });
  const auth: Middleware = {
    async onRequest({ request }) {
      const t = typeof token === "function" ? await token() : token;
      if (t && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${t}`);
      return opts.sign ? signRequest(request, opts.sign) : request;
    },
  };
  raw.use(auth);
  const wrap =
    (method: "GET" | "POST" | "PUT" | "DELETE") =>
    (url: string, ...init: unknown[]) =>
      unwrap((raw[method] as (u: string, ...i: unknown[]) => Promise<FetchResponse<any, any, MediaType>>)(url, ...init));
  return {
    GET: wrap("GET") as UnwrappingMethod<"get">,
    POST: wrap("POST") as UnwrappingMethod<"post">,
    PUT: wrap("PUT") as UnwrappingMethod<"put">,
    DELETE: wrap("DELETE") as UnwrappingMethod<"delete">,
    raw,
    setToken(t) {
      token = t;
    },
  };
}
