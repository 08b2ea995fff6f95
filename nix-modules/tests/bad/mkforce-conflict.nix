# expect-path: nodes.web.port
# expect: conflicting definition values
# expect-line: 7
# why: two definitions at the same (forced) priority disagree.
import ../../default.nix { } ({ lib, ... }: {
  imports = [
    { nodes.web.port = lib.mkForce 2222; }
    { nodes.web.port = lib.mkForce 2223; }
  ];
  nodes.web.host = "root@198.18.0.12";
})
