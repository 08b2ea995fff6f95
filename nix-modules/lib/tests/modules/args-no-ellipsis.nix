# A function without `...`: only the arguments it names are passed.
{ config }: {
  list = [ "no-ellipsis-${toString config.int}" ];
}
