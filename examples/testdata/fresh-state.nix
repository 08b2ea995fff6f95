# The lab example as on a fresh checkout: no DNS serial state recorded by earlier deploys
# (`nixmesh deploy` writes examples/lab/dns-serials.json), no lab file. The golden tests
# evaluate with this module so that what a local deploy left behind cannot change them.
{ lib, ... }: { dns.serialsFile = lib.mkForce null; }
