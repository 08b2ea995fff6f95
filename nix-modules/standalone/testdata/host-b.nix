# Generation B: an etc file dropped, one added in a new directory, one changed, alice's
# key changed, carol no longer managed (her keys file goes, the account stays), motd no
# longer managed, other hosts block and hostname.
{ lib, ... }: {
  networking.hostName = "bravo";
  networking.hosts."198.18.0.30" = [ "cache" ];
  users.users.alice = {
    isNormalUser = true;
    uid = 1500;
    extraGroups = [ "nixmeshtest" ];
    openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+key+B alice@b" ];
  };
  users.users.svc = { isSystemUser = true; group = "svcgroup"; };
  users.groups.nixmeshtest.gid = 1600;
  users.groups.svcgroup = { };
  environment.etc."nixmesh-test/linked.conf".text = "linked = B\n";
  environment.etc."nixmesh-test/copied.conf" = { text = "secret = A\n"; mode = "0600"; };
  environment.etc."nixmesh-b/new.conf".text = "new in B\n";
  boot.kernel.sysctl."net.ipv4.ip_forward" = false;
}
