#!/bin/sh
# Regenerates the *.stderr fixtures: real Nix output for each *.nix here.
# Run from this directory: sh capture.sh
export NIX_CONFIG='substituters =
sandbox = false'
for f in *.nix; do
  b=${f%.nix}
  if [ "$b" = build-fail ]; then
    drv=$(nix-instantiate "$PWD/$f" -A plan 2>/dev/null)
    nix-store --realise "$drv" >/dev/null 2>"$b.stderr"
    continue
  fi
  nix-instantiate --eval --strict --json "$PWD/$f" -A plan >/dev/null 2>"$b.stderr"
  nix-instantiate --eval --strict --json --show-trace "$PWD/$f" -A plan >/dev/null 2>"$b.trace.stderr"
done
