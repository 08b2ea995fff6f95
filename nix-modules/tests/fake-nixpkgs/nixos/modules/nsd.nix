# services.nsd as NixOS declares it (nixos/modules/services/networking/nsd.nix), the part
# zones use: a zone is a submodule whose notify/provideXFR/requestXFR are lists of
# strings, and whose `children' (zones inheriting its settings) are attribute sets of
# anything, as NixOS types them (a child's settings are not checked when evaluating).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  zoneOptions = types.submodule {
    options = {
      allowNotify = mkOption { type = types.listOf types.str; default = [ ]; description = "Who may notify."; };
      children = mkOption { type = types.attrsOf types.anything; default = { }; description = "Child zones, inheriting these settings."; };
      data = mkOption { type = types.lines; default = ""; description = "The zone file's text."; };
      dnssec = mkOption { type = types.bool; default = false; description = "Sign the zone."; };
      notify = mkOption { type = types.listOf types.str; default = [ ]; description = "Whom to notify."; };
      outgoingInterface = mkOption { type = types.nullOr types.str; default = null; description = "The source address."; };
      provideXFR = mkOption { type = types.listOf types.str; default = [ ]; description = "Who may transfer the zone."; };
      requestXFR = mkOption { type = types.listOf types.str; default = [ ]; description = "Where to transfer it from."; };
    };
  };
in
{
  options.services.nsd = {
    enable = mkOption { type = types.bool; default = false; description = "Whether to run nsd."; };
    interfaces = mkOption { type = types.listOf types.str; default = [ "127.0.0.0" "::1" ]; description = "Addresses nsd listens on."; };
    ipv4 = mkOption { type = types.bool; default = true; description = "Serve over IPv4."; };
    ipv6 = mkOption { type = types.bool; default = true; description = "Serve over IPv6."; };
    port = mkOption { type = types.port; default = 53; description = "The port."; };
    zones = mkOption { type = types.attrsOf zoneOptions; default = { }; description = "The zones served."; };
  };
}
