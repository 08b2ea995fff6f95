{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.networking = {
    hostName = mkOption {
      # RFC 1123 label, as NixOS checks it.
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
      description = ''
        The name of the machine. Set with `hostname` on activation and written to
        /etc/hostname. The empty string leaves the host's name alone.
      '';
    };
    hosts = mkOption {
      type = types.attrsOf (types.listOf types.str);
      default = { };
      example = { "127.0.0.1" = [ "foo.bar.baz" ]; "192.168.0.2" = [ "fileserver.local" "nameserver.local" ]; };
      description = ''
        Locally defined maps of hostnames to IP addresses. Written to a block of
        /etc/hosts that nixmesh manages; the rest of the file is kept.
      '';
    };
  };
}
