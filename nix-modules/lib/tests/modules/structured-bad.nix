{ lib, ... }: {
  config.int = 1;
  stray = 2;
}
