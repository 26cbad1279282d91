// Serves Connect routers on Workers: a requestPath → handler map and the fetch ⇄ universal
// adapters. Serves Connect (JSON, binary) and gRPC-Web; native gRPC needs HTTP/2 trailers, which
// Workers do not expose.
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
      const universal = universalServerRequestFromFetch(request, {});
      const response = await handler({ ...universal, contextValues });
      return universalServerResponseToFetch(response);
    },
  };
}
