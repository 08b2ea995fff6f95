# expect-path: nodes.web.host
# expect: conflicting definition values
# expect-line: 8
# why: (reported at the second definition, as Nix reports a repeated attribute) `host' takes one value; two modules disagree on it.
import ../../default.nix { } {
  imports = [
    { nodes.web.host = "root@198.18.0.12"; }
    { nodes.web.host = "root@198.18.0.13"; }
  ];
}
