# A function without `...`: called with every module argument, as nixpkgs calls it, so
# it fails ("called with unexpected argument").
{ config }: {
  list = [ "no-ellipsis-${toString config.int}" ];
}
