{ lib, ... }: {
  imports = [
    (lib.mkRenamedOptionModule [ "oldInt" ] [ "int" ])
    (lib.mkAliasOptionModule [ "aliasStr" ] [ "str" ])
    (lib.mkRemovedOptionModule [ "gone" ] "Use `int' instead.")
  ];
}
