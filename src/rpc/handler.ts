// Serves Connect routers on Workers: a requestPath → handler map and the fetch ⇄ universal
// adapters. Serves Connect (JSON, binary) and gRPC-Web; native gRPC needs HTTP/2 trailers, which
// Workers do not expose.
import { fromBinary } from "@bufbuild/protobuf";
import { createConnectRouter, type ConnectRouter, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch, type UniversalHandler } from "@connectrpc/connect/protocol";
import { invalidArgument } from "../core/errors.ts";
import { connectErrorResponse, toConnectError } from "./errors.ts";

/** Our errors become ConnectErrors with the mapped code; unknown ones become Internal. */
const mapErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (error) {
    throw toConnectError(error, new URL(req.url).pathname);
  }
};

export interface ConnectFetchHandler {
  /** Whether `pathname` is one of the registered RPCs. */
  handles(pathname: string): boolean;
  fetch(request: Request, contextValues: ContextValues): Promise<Response>;
}

// Requests above this are refused before parsing: a verification request is tiny.
const READ_MAX_BYTES = 64 * 1024;

export function createConnectFetchHandler(routes: (router: ConnectRouter) => void): ConnectFetchHandler {
  const router = createConnectRouter({
    interceptors: [mapErrors],
    connect: true,
    grpcWeb: true,
    grpc: false,
    readMaxBytes: READ_MAX_BYTES,
  });
  routes(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return {
    handles: (pathname) => handlers.has(pathname),
    async fetch(request, contextValues) {
      const handler = handlers.get(new URL(request.url).pathname)!;
      const contentType = request.headers.get("content-type") ?? "";
      const binary = BINARY.test(contentType);
      let body: Uint8Array | AsyncIterable<Uint8Array> | null = null;
      if (binary) {
        // connect-es reports an undecodable binary body as `internal` (a 500); it is the caller's
        // error, so decode it once here and answer `invalid_argument` in the caller's protocol.
        const bytes = new Uint8Array(await request.arrayBuffer());
        const grpcWeb = contentType.startsWith("application/grpc-web");
        const problem = binaryProblem(handler, grpcWeb ? unwrapEnvelope(bytes) : bytes);
        if (problem) return connectErrorResponse(invalidArgument("body", problem), request);
        body = bytes;
      }
      const unary = handler.method.methodKind === "unary";
      if (unary && !binary && request.body !== null) body = await readUpTo(request.body, READ_MAX_BYTES);
      if (!unary) {
        if (body instanceof Uint8Array) request = new Request(request, { body });
        const universal = universalServerRequestFromFetch(request, {});
        return universalServerResponseToFetch(await handler({ ...universal, contextValues }));
      }
      // Unary calls are buffered: the body read once, the answer built as one Response. The
      // fetch ⇄ stream adapters cost 30-160 µs per call in the bench profile (docs/performance.md).
      const response = await handler({
        httpVersion: "",
        method: request.method,
        url: request.url,
        header: request.headers,
        signal: request.signal,
        body: body === null ? once() : body instanceof Uint8Array ? once(body) : body,
        contextValues,
      });
      return new Response(response.body === undefined ? null : await collect(response.body), { status: response.status, headers: response.header });
    },
  };
}

async function* once(...chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}

/**
 * The whole body if it is at most `max` bytes; otherwise what was read followed by the rest of the
 * stream, so connect-es refuses it after `max` bytes exactly as it does a streamed body.
 */
async function readUpTo(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks, size);
    chunks.push(value);
    size += value.length;
    if (size > max) break;
  }
  return (async function* () {
    yield* chunks;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  })();
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return concat(chunks, size);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const BINARY = /^application\/(proto|grpc-web(\+proto)?)(;|$)/;

function unwrapEnvelope(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 5 || bytes[0] !== 0) return null;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
  return bytes.length === 5 + length ? bytes.subarray(5) : null;
}

/** What is wrong with a binary body, in words that follow "body: "; null when it decodes. */
function binaryProblem(handler: UniversalHandler, bytes: Uint8Array | null): string | null {
  if (bytes === null) return "malformed gRPC-Web envelope";
  try {
    fromBinary(handler.method.input, bytes);
    return null;
  } catch (error) {
    return `cannot decode ${handler.method.input.typeName}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
