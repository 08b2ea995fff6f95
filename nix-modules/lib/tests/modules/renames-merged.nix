{ lib, ... }: {
  imports = [
    (lib.mkMergedOptionModule [ [ "first" ] [ "second" ] ] [ "str" ] (config: "${config.first}+${config.second}"))
    (lib.mkChangedOptionModule [ "count" ] [ "int" ] (config: config.count * 2))
  ];
}
