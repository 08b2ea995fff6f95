{ lib, ... }:
let
  inherit (lib) mkOption types;
  # As NixOS's: one definition per key and priority (mergeOneOption), even two equal
  # ones are an error; a module that sets a key a user may set too uses mkDefault.
  sysctlValue = lib.mkOptionType {
    name = "sysctl option value";
    description = "sysctl option value (bool, string of one line, integer or null; defined once)";
    # A newline would end the value early: the rest would be a line of its own (another
    # parameter's) in the sysctl settings.
    check = v: builtins.isBool v || builtins.isString v && builtins.match "[^\n]*" v != null || builtins.isInt v || v == null;
    merge = lib.mergeOneOption;
  };
in
{
  options.boot.kernel.sysctl = mkOption {
    type = types.attrsOf sysctlValue;
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
