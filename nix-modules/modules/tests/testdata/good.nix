# A small valid deployment that uses SSH access, a VPN and DNS; the CLI's check and graph
# tests run on it. `--argstr serials FILE` sets dns.serialsFile; `--arg dropKeys true`
# makes gateway's own configuration throw away the authorized keys that ssh.access put
# there (which only the Go side's checks notice).
{ serials ? null, dropKeys ? false }:
import ../../../default.nix { } ({ lib, ... }: {
  imports = [ ./nodes.nix ];
  ssh.access.gateway.hostKeys.ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINeDclddamlBkyr/i2K74+a0cNQ4XaGwtzAHgSL4Jyl1";
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.gateway.root = true;
  };
  nodes.gateway.configuration = lib.mkIf dropKeys {
    users.users.root.openssh.authorizedKeys.keys = lib.mkForce [ ];
  };
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway.publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
    members.db.publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
  };
  dns.zones."lab.test" = { primaryNode = "gateway"; secondaryNodes = [ "db" ]; };
  dns.serialsFile = serials;
  dns.records."web.lab.test".A = "198.18.0.12";
})
