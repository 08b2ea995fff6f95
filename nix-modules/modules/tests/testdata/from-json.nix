# A deployment whose whole user module is JSON: the property tests and the scale
# benchmark (Go, package modulestests) generate a network description, write it to a
# file and evaluate `plan` with --argstr spec FILE. The JSON is the module's config as
# is: { nodes, ssh, vpn, dns }.
{ spec }:
import ../../../default.nix { } (builtins.fromJSON (builtins.readFile spec))
