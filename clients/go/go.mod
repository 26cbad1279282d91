module edge-verify/clients/go

go 1.19

require google.golang.org/protobuf v1.28.1

// Debian's golang-google-protobuf-dev (the version protoc-gen-go 1.28.1 writes for), so the module
// builds with GOPROXY=off and downloads nothing. Without Debian's package: drop this line
// (go mod edit -dropreplace google.golang.org/protobuf && go mod tidy) and the go tool fetches it.
replace google.golang.org/protobuf => /usr/share/gocode/src/google.golang.org/protobuf
