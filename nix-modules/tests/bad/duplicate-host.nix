# expect-path: nodes.web.host
# expect: conflicting definition values
# expect-line: 7
# why: `host' takes one value; two modules disagree on it.
import ../../default.nix { } {
  imports = [
    { nodes.web.host = "root@198.18.0.12"; }
    { nodes.web.host = "root@198.18.0.13"; }
  ];
}
