# expect-path: nodes.web.postDeployScript
# expect: is Nixus's hook after a node's deploy
# expect-line: 7
# why: Nixus's hooks into its bash script have no counterpart; the error says what to use.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  nodes.web.postDeployScript = "curl https://example.org/notify";
}
