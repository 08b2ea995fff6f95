# nixmesh — the targets the README names.
GO ?= go
BIN := bin/nixmesh
export NIX_CONFIG ?= substituters =
sandbox = false

.PHONY: build test test-short bench lab-demo clean

build:
	$(GO) build -o $(BIN) ./cmd/nixmesh

# Everything: unit tests, module-system suite, Nix and lab end-to-end tests (root for the lab).
test:
	$(GO) test -count=1 -timeout 40m ./...

# Only the tests that need neither root nor Nix.
test-short:
	$(GO) test -count=1 -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
