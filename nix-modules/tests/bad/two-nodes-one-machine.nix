# expect-path: nodes.db.host
# expect: reach the same machine (198.18.0.12:22, with the same sshOptions)
# why: two enabled nodes at one address and port: each deploy would replace the other's
#      system on that machine (often a copied node whose host was not changed).
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  nodes.db.host = "deploy@198.18.0.12";
}
