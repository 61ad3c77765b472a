// The app-server signature of the contract (openapi/openapi.yaml, info), with Web Crypto so that it runs in Node ≥ 18, Deno,
// workers and browsers alike. It is for back ends only: the secret (an AppSecret or a service
// key) must never ship inside an app.
//
//   X-App-Signature = hex(HMAC-SHA256(secret, METHOD \n PATH \n CANONICAL_QUERY \n
//                                      X-App-Timestamp \n X-App-Nonce \n hex(SHA-256(body))))

export interface SignatureParts {
  method: string;
  /** The escaped path as sent, without the query. */
  path: string;
  /** The raw query string, without "?" ("" when there is none). */
  query: string;
  /** Unix milliseconds, as a decimal string. */
  timestamp: string;
  nonce: string;
  body: Uint8Array;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ is %XX, and a space is "+".
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

// Go's url.ParseQuery decoding: "+" is a space.
function goQueryUnescape(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, " "));
}

/**
 * The query re-encoded with its keys sorted and repeated keys in the order sent, exactly as
 * Go's url.Values.Encode writes it (what the server compares).
 */
export function canonicalQuery(rawQuery: string): string {
  const q = rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery;
  if (q === "") return "";
  const values = new Map<string, string[]>();
  for (const pair of q.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = goQueryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : goQueryUnescape(pair.slice(eq + 1));
    const list = values.get(key) ?? [];
    list.push(value);
    values.set(key, list);
  }
  const keys = [...values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys
    .flatMap((k) => values.get(k)!.map((v) => goQueryEscape(k) + "=" + goQueryEscape(v)))
    .join("&");
}

/** The hex X-App-Signature of a request. */
export async function signature(secret: string, parts: SignatureParts): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const bodyHash = hex(await subtle.digest("SHA-256", parts.body as BufferSource));
  const text = [parts.method.toUpperCase(), parts.path, canonicalQuery(parts.query), parts.timestamp, parts.nonce, bodyHash].join("\n");
  const key = await subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await subtle.sign("HMAC", key, encoder.encode(text)));
}

function randomNonce(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return hex(bytes.buffer);
}

export interface SignOptions {
  /** The app's AppSecret (IM login) or the called service's key (app-admin, push, update). */
  secret: string;
  /** Sent as X-App-Key when the request has no appId query parameter. */
  appKey?: string;
  /** The clock, for tests; defaults to Date.now. */
  now?: () => number;
}

/**
 * Returns request with X-App-Timestamp, X-App-Nonce and X-App-Signature set (and X-App-Key when
 * appKey is given and the query has no appId). The body is read from a clone, so the request
 * can still be sent.
 */
export async function signRequest(request: Request, opts: SignOptions): Promise<Request> {
  const url = new URL(request.url);
  const body = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : new Uint8Array(0);
  const timestamp = String((opts.now ?? Date.now)());
  const nonce = randomNonce();
  const headers = new Headers(request.headers);
  if (opts.appKey && !url.searchParams.has("appId")) headers.set("X-App-Key", opts.appKey);
  headers.set("X-App-Timestamp", timestamp);
  headers.set("X-App-Nonce", nonce);
  headers.set(
    "X-App-Signature",
    await signature(opts.secret, { method: request.method, path: url.pathname, query: url.search, timestamp, nonce, body }),
  );
  return new Request(request, { headers });
}
