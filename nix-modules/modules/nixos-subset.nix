# The part of a NixOS host's configuration nixmesh shows and compares (NIXOS-SUBSET.md):
# the option subtrees the cross-host features set, as JSON-able values. The plan shows
# it for NixOS nodes (modules/plan.nix) and every NixOS system records it as
# nixmesh-config.json (nixos/switcher.nix), which `nixmesh diff` compares.
#
#   import ./nixos-subset.nix { inherit lib; } config  ->  { networking = ...; ... }
{ lib }:
let
  # A projection spec is `true` (keep the value), a function (compute what to keep), an
  # attrset of specs (keep those attributes where present), `{ _each = spec; }` (every
  # attribute of an attrsOf) or `{ _list = spec; }` (every element of a listOf).
  project = spec: value:
    if builtins.isBool spec then value
    else if builtins.isFunction spec then spec value
    else if spec ? _each then builtins.mapAttrs (_: project spec._each) value
    else if spec ? _list then map (project spec._list) value
    else builtins.mapAttrs (k: s: project s value.${k}) (builtins.intersectAttrs value spec);

  nixosSubset = {
    networking = {
      hostName = true;
      hosts = true;
      firewall = { allowedTCPPorts = true; allowedUDPPorts = true; trustedInterfaces = true; };
      wireguard.interfaces._each = {
        ips = true;
        listenPort = true;
        privateKeyFile = true;
        peers._list = {
          publicKey = true;
          allowedIPs = true;
          endpoint = true;
          persistentKeepalive = true;
          presharedKeyFile = true;
        };
      };
    };
    users.users._each = {
      openssh.authorizedKeys.keys = true;
      isNormalUser = true;
      isSystemUser = true;
      uid = true;
      group = true;
      home = true;
      createHome = true;
    };
    programs.ssh.knownHosts._each = { hostNames = true; publicKey = true; extraHostNames = true; };
    services.nsd = { enable = true; interfaces = true; zones._each = { data = true; }; };
    # NixOS turns `text` into a `source` derivation; keep `source` only where no text
    # was given, so that reading the plan does not instantiate those derivations.
    environment.etc = etc:
      builtins.mapAttrs
        (_: e: {
          inherit (e) text mode user group;
          source = if e.text == null then e.source else null;
        })
        (lib.filterAttrs (_: e: e.enable or true) etc);
    # NixOS adds the assembled `script` to this set; the snippets are what was declared.
    system.activationScripts = scripts: builtins.mapAttrs
      (_: s: if builtins.isString s then s else { inherit (s) text deps; })
      (removeAttrs scripts [ "script" ]);
    # null means "not set" in NixOS (its rmem_max/wmem_max options default to null).
    boot.kernel.sysctl = lib.filterAttrs (_: v: v != null);
  };
in
project nixosSubset
