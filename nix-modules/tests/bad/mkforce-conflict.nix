# expect-path: nodes.web.port
# expect: conflicting definition values
# expect-line: 8
# why: (reported at the second definition, as Nix reports a repeated attribute) two definitions at the same (forced) priority disagree.
import ../../default.nix { } ({ lib, ... }: {
  imports = [
    { nodes.web.port = lib.mkForce 2222; }
    { nodes.web.port = lib.mkForce 2223; }
  ];
  nodes.web.host = "root@198.18.0.12";
})
