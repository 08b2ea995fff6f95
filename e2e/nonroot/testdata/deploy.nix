# The deployment of the non-root tests: one standalone node that nixmesh reaches as the
# unprivileged user `deploy`, which gains root with `sudo -n` (the default
# privilegeEscalationCommand). The tests build it with
#
#   --arg nixModules /abs/path/to/nix-modules   (the framework, an absolute path)
#   --arg params /abs/path/to/params.json       (written by the test, below)
#
# params.json:
#   node          the node's name (a lab host's name)
#   address       the lab host's address; the node is "deploy@<address>"
#   sshOptions    how to reach it: -i KEY, the lab's known_hosts, strict host key checking
#   deployKey     the public key the deploy user logs in with
#   otherKey      a key nobody uses in the tests
#   breakLogin    true: deploy's authorized keys hold only otherKey, so the new system
#                 locks the deployer out and must roll back by itself
#   marker        the text of /etc/nonroot/marker (a change on every deploy)
#   secretFile    the source of the secret `token` (read on the deploying machine)
#   successTimeout  how long the node waits for the confirmation, in seconds
{ nixModules, params }:
let
  p = builtins.fromJSON (builtins.readFile params);
in
import nixModules { } {
  nodes.${p.node} = {
    host = "deploy@${p.address}";
    inherit (p) sshOptions successTimeout;
    switchTimeout = 60;

    configuration = {
      networking.hostName = p.node;
      # The deploy user exists before the first deploy (the test bootstraps it with its
      # key in ~/.ssh/authorized_keys); from then on the deployment owns its key, in
      # /etc/ssh/authorized_keys.d/deploy.
      users.users.deploy = {
        isNormalUser = true;
        openssh.authorizedKeys.keys = [ (if p.breakLogin then p.otherKey else p.deployKey) ];
      };
      # A user that only the deployment creates.
      users.users.nonroot-app = {
        isSystemUser = true;
        group = "nogroup";
        description = "created by the nonroot test deployment";
      };
      environment.etc."nonroot/marker".text = p.marker + "\n";
    };

    secrets.token.file = p.secretFile;
  };
}
