# The end-to-end tests' additions to examples/lab (passed as deploy.nix's `extraModule`).
# The tests copy this file into a temporary directory next to a params.json they write:
#
#   operatorKey       the lab operator's public key: the deployer's key, declared for root
#                     on every node (so access depends on the deployment, as on a real fleet)
#   deployKey         public half of gateway's `deploy` key (ssh.access grants; network.nix)
#   deployKeyFile     its private half on the deploying machine: a secret of gateway, put
#                     into root's ~/.ssh
#   backupKey         public half of db's `backup` key
#   backupKeyFile     its private half: a secret of db, put into dbbackup's ~/.ssh after the
#                     activation that creates the user
#   removeDeployerOn  a node whose root no longer accepts the deployer's key ("" = none)
#   badZoneOn         a node that also serves a zone nsd refuses ("" = none)
#   slowOn            a node whose activation takes a few seconds longer ("" = none)
#   marker            text of /etc/e2e-marker on every node (a change that touches all)
#   keep              (optional) every node's keepGenerations
#   operatorUid       (optional) the uid for the example's `operator` user when the lab's
#                     hosts (copies of this machine's /etc) already use its uid 1000
#   extraRecord       (optional) { name, address }: one more A record in lab.test
#   wrongVpnKeyOn     (optional) a node whose backbone public key is declared wrong (its
#                     peers then cannot handshake with it)
#   vpnCheck          (optional) { retries, interval }: every node's vpn-backbone check
#                     tuned (the feature's check is a healthChecks.commands entry)
#   substituteOn      (optional) a node with substituteOnTarget = true
#   buildOn           (optional) a node with buildOnTarget = true
#   successTimeout    (optional) every node's successTimeout, for the steps in which
#                     nobody confirms (the deployer killed or interrupted): the hosts
#                     roll back that much sooner; their systems do not change
{ lib, ... }:
let
  p = builtins.fromJSON (builtins.readFile ./params.json);
  names = [ "gateway" "web" "db" ];
  on = field: name: (p.${field} or "") == name;
in
{
  ssh.access.gateway.keys.deploy.publicKey = lib.mkForce p.deployKey;
  ssh.access.db.keys.backup.publicKey = lib.mkForce p.backupKey;

  vpn.networks.backbone.members = lib.mkIf ((p.wrongVpnKeyOn or "") != "") {
    ${p.wrongVpnKeyOn}.publicKey = lib.mkForce "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=";
  };

  dns.records = lib.mkIf (p ? extraRecord) { ${p.extraRecord.name}.A = p.extraRecord.address; };

  nodes = lib.mkMerge [
    {
      gateway.secrets.ssh-deploy = {
        file = p.deployKeyFile;
        path = "/root/.ssh/id_ed25519";
        mode = "0600";
      };
      db.secrets.ssh-backup = {
        file = p.backupKeyFile;
        path = "/var/lib/dbbackup/.ssh/id_ed25519";
        owner = "dbbackup";
        group = "users";
        mode = "0600";
        uploadAt = "post-activation"; # dbbackup is created by the activation
      };
    }

    (lib.genAttrs names (name: {
      keepGenerations = lib.mkIf (p ? keep) p.keep;
      successTimeout = lib.mkIf (p ? successTimeout) (lib.mkForce p.successTimeout);
      substituteOnTarget = on "substituteOn" name;
      buildOnTarget = on "buildOn" name;
      healthChecks.commands = lib.mkIf (p ? vpnCheck) {
        vpn-backbone = { inherit (p.vpnCheck) retries interval; };
      };
      configuration = lib.mkMerge [
        {
          users.users.root.openssh.authorizedKeys.keys =
            lib.optional (!on "removeDeployerOn" name) p.operatorKey;
        }
        (lib.mkIf (p ? operatorUid) {
          users.users.operator.uid = lib.mkForce p.operatorUid;
        })
        (lib.mkIf ((p.marker or "") != "") {
          environment.etc."e2e-marker".text = p.marker + "\n";
        })
        (lib.mkIf (on "badZoneOn" name) {
          # A zone of the host's own beside the one dns.zones serves (whose data a check
          # guards), with an SOA (a zone without one is refused when the deployment is
          # checked) and then a line that is no record: only nsd-checkzone, on the host,
          # finds it.
          services.nsd.zones."broken.test".data = "@ IN SOA gateway.lab.test. hostmaster.lab.test. 1 3600 900 604800 300\nthis is not a record\n";
        })
        (lib.mkIf (on "slowOn" name) {
          system.activationScripts.e2eSlow = "sleep 6";
        })
      ];
    }))
  ];
}
