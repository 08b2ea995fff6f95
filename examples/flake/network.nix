# The deployment of examples/flake: two standalone hosts, SSH from one to the other.
# (In a flake, paths like ./dns-serials.json are copied to the store and read-only; give
# files nixmesh writes, such as dns.serialsFile, as absolute strings.)
{ ... }:
{
  defaults = { name, ... }: {
    configuration.networking.hostName = name;
  };
  nodes.alpha.host = "root@alpha.example.net";
  nodes.beta.host = "root@beta.example.net";
}
