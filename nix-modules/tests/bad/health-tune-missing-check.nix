# expect-path: nodes.web.healthChecks.commands.vpn-backbone.command
# expect: gets no feature check of that name
# expect: its feature checks: none
# expect-line: 11
# why: web is no member of backbone, so it has no vpn-backbone check to tune; the check
#      this defines has no command, and the error must say where it is written and why,
#      not point at the option's declaration.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    healthChecks.commands.vpn-backbone.retries = 3;
  };
  nodes.db.host = "root@198.18.0.13";
  nodes.gw.host = "root@198.18.0.14";
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members.db.publicKey = "YUWgv8nS9f8bXw9WCD1ZYQHzYB3kHQ0k8b4i6fv9xQY=";
    members.gw = { publicKey = "cHVa0cXqYFgwvVtmlZn2pOAbG3bX3ZQTp1v1v1pBD0M="; endpoint = "198.18.0.14:51820"; };
  };
}
