// The one place the client reaches the generated stubs: the repository's own `src/gen/`, produced
// by the root `buf generate` and drift-checked by `npm run check:gen`. One generation, no copy.
export * from "../../../src/gen/verify/v1/verification_pb.ts";
