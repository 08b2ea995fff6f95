{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.boot.kernel.sysctl = mkOption {
    type = types.attrsOf (types.nullOr (types.oneOf [ types.bool types.str types.int ]));
    default = { };
    example = { "net.ipv4.tcp_keepalive_time" = 120; "net.ipv6.conf.all.forwarding" = true; };
    description = ''
      Runtime parameters of the Linux kernel, as set by sysctl(8). `true` and `false`
      are written as 1 and 0; `null` leaves the parameter alone. Applied on activation
      where permitted; a parameter the host does not allow to be set (a container, a
      missing module) is reported as a warning, not as a failure.
    '';
  };
}
