{ lib, ... }: {
  imports = [ ./imports-c.nix ];
  list = [ "from-b" ];
}
