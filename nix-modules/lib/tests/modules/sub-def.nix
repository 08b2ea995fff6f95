{ lib, ... }: {
  nodes.web.port = 80;
  nodes.web.tags = [ "web" ];
  nodes.db = { };
  nodes.off = lib.mkIf false { port = 1; };
}
