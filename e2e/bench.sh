#!/usr/bin/env bash
# Runs the deploy benchmark (e2e/bench_test.go) once and prints its table: deploys to fresh
# lab fleets of 1, 5 and 20 hosts with `nixmesh deploy`, the generated `./result` and a
# host-after-host baseline (nix-copy-closure + switch-to-configuration over ssh), and a
# no-op redeploy of 20 hosts (nixmesh and ./result). Needs root (the lab), Nix and the lab's commands.
#
#   sudo e2e/bench.sh            # or: make bench
set -euo pipefail
cd "$(dirname "$0")/.."
export NIX_CONFIG=${NIX_CONFIG:-$'substituters =\nsandbox = false'}
exec go test -count=1 -run '^$' -bench 'BenchmarkDeploy' -benchtime 1x -timeout 60m ./e2e/ "$@"
