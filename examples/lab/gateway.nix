# The gateway's host configuration: a module of the host's own evaluation, so it may take
# `name` and `nodes` besides the usual `config` and `lib`.
{ name, nodes, lib, ... }:
{
  boot.kernel.sysctl."net.ipv4.ip_forward" = 1;

  users.users.operator.openssh.authorizedKeys.keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKcX4uGB82267TDbJnUR1YXZSuITJke2bU05V6r/x/3A backup@gateway"
  ];

  # Which nodes sit behind this gateway, written for the operator's eyes.
  environment.etc."gateway/backends".text = lib.concatMapStrings (n: "${n}\n")
    (builtins.filter (n: n != name) (builtins.attrNames nodes));

  system.activationScripts.gatewayState = "mkdir -p /var/lib/gateway";
}
