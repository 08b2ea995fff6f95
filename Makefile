# nixmesh — the targets the README names.
GO ?= go
BIN := bin/nixmesh
LAB ?= default
LABDIR := /run/nixmesh/lab/$(LAB)
EXAMPLE := examples/lab/deploy.nix
# Builds never wait on a binary cache. The sandbox stays as Nix has it (on, by default):
# standalone systems, and the deploy script with the engine pinned, build with nothing
# from the host.
export NIX_CONFIG ?= substituters =
# The tests run without the sandbox (as internal/testutil.NixConfig does): some fixtures,
# and the deploy scripts whose engine comes from PATH, are written by the host's /bin/sh.
define TEST_NIX_CONFIG
substituters =
sandbox = false
endef
export TEST_NIX_CONFIG

.PHONY: build test test-short bench demo demo-down options-doc clean

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/nixmesh

# Everything: unit tests, module-system suite, Nix, standalone activation, lab end to end.
# Tests that need root or Debian packages skip without them, unless
# NIXMESH_TEST_DISALLOW_SKIP=1 (set by .ci/run) makes that a failure.
test:
	NIX_CONFIG="$$TEST_NIX_CONFIG" $(GO) test -count=1 -timeout 45m ./...

# Only the tests that need neither root nor Nix.
test-short:
	NIX_CONFIG="$$TEST_NIX_CONFIG" $(GO) test -count=1 -short ./...

# Benchmarks: evaluation scaling, cross-host scale, evaluation workers (the NixOS-weight
# one alone takes about 13 minutes and 13 GiB), deploys to 1/5/20 lab hosts.
bench:
	NIX_CONFIG="$$TEST_NIX_CONFIG" $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 120m ./...

# The main job: bring up a 3-host lab and deploy examples/lab to it (root).
demo: build
	@if [ -f $(LABDIR)/state.json ]; then echo "lab $(LAB) is already up (make demo-down to start over)"; \
	else $(BIN) lab up --name $(LAB) -f $(EXAMPLE) --write-nix examples/lab/lab-generated.nix; fi
	$(BIN) deploy -f $(EXAMPLE)
	@echo; echo "Log in to a host:  sudo $(BIN) lab ssh --name $(LAB) web      Take it all down:  sudo make demo-down LAB=$(LAB)"
	@echo 'The same from the generated script, the engine pinned (it builds with the Nix sandbox on too):'
	@echo "  nix-build $(EXAMPLE) --arg nixmesh ./bin/nixmesh -o result && ./result"

demo-down: build
	$(BIN) lab down --name $(LAB)
	rm -f examples/lab/lab-generated.nix examples/lab/dns-serials.json

options-doc: build
	$(BIN) options > docs/options.txt

clean:
	rm -rf bin
