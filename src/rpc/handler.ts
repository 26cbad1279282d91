// Serves Connect routers on Workers: a requestPath → handler map and the fetch ⇄ universal
// adapters. Serves Connect (JSON, binary) and gRPC-Web; native gRPC needs HTTP/2 trailers, which
// Workers do not expose.
import { fromBinary } from "@bufbuild/protobuf";
import { createConnectRouter, type ConnectRouter, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch, type UniversalHandler } from "@connectrpc/connect/protocol";
import { toConnectError } from "./errors.ts";

/** Our errors become ConnectErrors with the mapped code; unknown ones become Internal. */
const mapErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (error) {
    throw toConnectError(error);
  }
};

export interface ConnectFetchHandler {
  /** Whether `pathname` is one of the registered RPCs. */
  handles(pathname: string): boolean;
  fetch(request: Request, contextValues: ContextValues): Promise<Response>;
}

export function createConnectFetchHandler(routes: (router: ConnectRouter) => void): ConnectFetchHandler {
  const router = createConnectRouter({
    interceptors: [mapErrors],
    connect: true,
    grpcWeb: true,
    grpc: false,
    // Requests above this are refused before parsing: a verification request is tiny.
    readMaxBytes: 64 * 1024,
  });
  routes(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return {
    handles: (pathname) => handlers.has(pathname),
    async fetch(request, contextValues) {
      const handler = handlers.get(new URL(request.url).pathname)!;
      const contentType = request.headers.get("content-type") ?? "";
      if (BINARY.test(contentType)) {
        // connect-es reports an undecodable binary body as `internal` (a 500); it is the caller's
        // error, so decode it once here and answer `invalid_argument` in the caller's protocol.
        const bytes = new Uint8Array(await request.arrayBuffer());
        const grpcWeb = contentType.startsWith("application/grpc-web");
        const problem = binaryProblem(handler, grpcWeb ? unwrapEnvelope(bytes) : bytes);
        if (problem) return invalidArgument(problem, grpcWeb);
        request = new Request(request, { body: bytes });
      }
      const universal = universalServerRequestFromFetch(request, {});
      const response = await handler({ ...universal, contextValues });
      return universalServerResponseToFetch(response);
    },
  };
}

const BINARY = /^application\/(proto|grpc-web(\+proto)?)(;|$)/;

function unwrapEnvelope(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 5 || bytes[0] !== 0) return null;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
  return bytes.length === 5 + length ? bytes.subarray(5) : null;
}

function binaryProblem(handler: UniversalHandler, bytes: Uint8Array | null): string | null {
  if (bytes === null) return "body: malformed gRPC-Web envelope";
  try {
    fromBinary(handler.method.input, bytes);
    return null;
  } catch (error) {
    return `body: cannot decode ${handler.method.input.typeName}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function invalidArgument(message: string, grpcWeb: boolean): Response {
  if (grpcWeb) {
    // A trailers-only gRPC-Web response: status in the headers, no body.
    return new Response(null, {
      status: 200,
      headers: { "content-type": "application/grpc-web+proto", "grpc-status": "3", "grpc-message": encodeURIComponent(message) },
    });
  }
  return Response.json({ code: "invalid_argument", message }, { status: 400 });
}
