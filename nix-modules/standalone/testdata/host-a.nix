# Generation A of the rollback/activation tests.
{ lib, ... }: {
  networking.hostName = "alpha";
  networking.hosts."198.18.0.20" = [ "db" "db.lab.test" ];
  users.users.alice = {
    isNormalUser = true;
    uid = 1500;
    extraGroups = [ "nixmeshtest" ];
    openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+key+A alice@a" ];
    hashedPassword = "!"; # not applied on standalone hosts
  };
  users.users.svc = { isSystemUser = true; group = "svcgroup"; };
  users.users.carol = { isNormalUser = true; openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICarol carol@a" ]; };
  users.groups.nixmeshtest.gid = 1600;
  users.groups.svcgroup = { };
  programs.ssh.knownHosts.beta = { hostNames = [ "beta" "198.18.0.21" ]; publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl"; };
  environment.etc."nixmesh-test/linked.conf".text = "linked = A\n";
  environment.etc."nixmesh-test/copied.conf" = { text = "secret = A\n"; mode = "0640"; group = "nixmeshtest"; };
  environment.etc."nixmesh-test/only-in-a".text = "only A\n";
  environment.etc.motd = { text = "managed motd\n"; mode = "0644"; };
  boot.kernel.sysctl."net.ipv4.ip_forward" = true;
  system.activationScripts = {
    second = { deps = [ "first" ]; text = "echo second >> /var/lib/activation-order"; };
    first = "echo first >> /var/lib/activation-order";
    third = { deps = [ "second" "users" ]; text = "echo third >> /var/lib/activation-order"; };
  };
  services.nginx.enable = true; # not applied on standalone hosts
}
