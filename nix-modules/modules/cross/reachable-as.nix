# The node options `addresses` and `reachableAs`: further addresses and names under which
# other hosts reach a node. The cross-host modules add to them (vpn: the node's VPN
# addresses and `<node>.<network>` names; dns: the names of the node's own records and of
# A/AAAA records that point at one of its addresses), users may add more; the ssh module
# writes every one of them into the known-hosts entries of the node's host keys.
# (Two options, not one, so that dns can read `addresses` while adding to `reachableAs`.) Imported by ssh.nix, vpn.nix and
# dns.nix (the module system loads it once), so each works without the others.
{ lib, ... }:
let
  cross = import ./lib.nix { inherit lib; };
  address = lib.types.str // {
    name = "ipAddress";
    description = "IP address";
    check = x: builtins.isString x && cross.network.isIP x;
  };
  # A DNS name as `host` takes one (a last label that starts with a letter, so a mistyped
  # address is not taken for a name; `_' as in the dns module's record names), or an
  # address: what a known-hosts line can name.
  hostName = lib.types.str // {
    name = "hostName";
    description = "host name or IP address";
    check = x: builtins.isString x
      && (cross.network.isIP x || builtins.match cross.dnsNameRe (builtins.replaceStrings [ "_" ] [ "a" ] x) != null);
  };
in
{
  options.nodes = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ({ options, ... }: {
      options.reachableFiles = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        internal = true;
        readOnly = true;
        description = "Where the node's `addresses` and `reachableAs` are defined (for messages).";
      };
      # The user's files where there are some (the vpn and dns modules add entries too).
      config.reachableFiles =
        let
          all = cross.knownFiles (cross.definitionFiles options.addresses ++ cross.definitionFiles options.reachableAs);
          users = builtins.filter (f: !lib.hasPrefix "${toString ../.}/" f) all;
        in
        if users != [ ] then users else all;
      options.addresses = lib.mkOption {
        type = lib.types.listOf address;
        default = [ ];
        example = [ "10.77.0.3" ];
        description = ''
          Further IP addresses of this node, besides the one in `host` (the vpn module adds
          its VPN addresses). DNS records pointing at one of them name this node; the ssh
          module lists them in the known-hosts entries of this node's host keys.
        '';
      };
      options.reachableAs = lib.mkOption {
        type = lib.types.listOf hostName;
        default = [ ];
        example = [ "web.backbone" "web.lab.test" ];
        description = ''
          Further names under which other hosts reach this node, besides its name and
          `host`. The vpn and dns modules add the node's VPN and DNS names; the ssh module
          lists them in the known-hosts entries of this node's host keys.
        '';
      };
    }));
  };
}
