# Error cases whose message matters: each { expr; message; } must fail evaluation with
# `message` in the error output (checked from Go, one nix-instantiate per case).
{ lib }:
let network = import ../../network.nix { inherit lib; }; in
{
  nthHostOutOfRange = {
    expr = network.nthHost "10.77.0.0/24" 256;
    message = "nthHost: host number 256 is out of range for 10.77.0.0/24 (valid: 0..255 or -256..-1)";
  };
  nthHostV6OutOfRange = {
    expr = network.nthHost "fd00::/120" (-300);
    message = "nthHost: host number -300 is out of range for fd00::/120";
  };
  nthHostBadCIDR = {
    expr = network.nthHost "10.77.0.0/40" 1;
    message = "nthHost: \"10.77.0.0/40\" is not a valid CIDR";
  };
  parseCIDRBad = {
    expr = network.parseCIDR "10.77.0.0";
    message = "parseCIDR: \"10.77.0.0\" is not a valid CIDR";
  };
  parseCIDRNotString = {
    expr = network.parseCIDR 5;
    message = "parseCIDR: a value of type int is not a valid CIDR";
  };
  parseIPv4Bad = {
    expr = network.parseIPv4 "300.1.1.1";
    message = "parseIPv4: \"300.1.1.1\" is not a valid IPv4 address";
  };
  parseIPv6Bad = {
    expr = network.parseIPv6 "1::2::3";
    message = "parseIPv6: \"1::2::3\" is not a valid IPv6 address";
  };
  cidrBroadcastIPv6 = {
    expr = network.cidrBroadcast "fd00::/64";
    message = "has no broadcast address";
  };
  intToIPv4Range = {
    expr = network.intToIPv4 4294967296;
    message = "intToIPv4: 4294967296 is not in the IPv4 range";
  };
  generatorsValueStringRejectsLists = {
    expr = lib.generators.mkValueStringDefault { } [ 1 ];
    message = "generators.mkValueStringDefault: lists not supported";
  };
  getAttrFromPathMissing = {
    expr = lib.getAttrFromPath [ "a" "x" ] { a = { }; };
    message = "cannot find attribute 'a.x'";
  };
  toIntOctalAmbiguity = {
    expr = lib.toInt "012";
    message = "between octal and zero padded integer";
  };
  toIntGarbage = {
    expr = lib.toInt "12a";
    message = "toInt: Could not convert \"12a\" to int.";
  };
  unionOfDisjoint = {
    expr = lib.unionOfDisjoint { a = 1; b = 1; } { a = 2; b = 2; };
    message = "unionOfDisjoint: collision on a; complete list: a b";
  };
  throwIfMessage = {
    expr = lib.throwIf true "custom failure text" null;
    message = "custom failure text";
  };
  lastEmpty = {
    expr = lib.last [ ];
    message = "lists.last: list must not be empty!";
  };
  fixedWidthStringTooLong = {
    expr = lib.fixedWidthString 1 "0" "123";
    message = "fixedWidthString: requested string length (1) must not be shorter than actual length (3)";
  };
  toShellVarBadName = {
    expr = lib.toShellVar "a-b" "x";
    message = "toShellVar: a-b is not a valid shell variable name";
  };
  updateManyAttrsByPathMissing = {
    expr = lib.updateManyAttrsByPath [ { path = [ "a" "b" ]; update = old: old + 1; } ] { a = { }; };
    message = "updateManyAttrsByPath: Path 'a.b' does not exist in the expression";
  };
  cidrSubnetOutOfRange = {
    expr = network.cidrSubnet "10.0.0.0/24" 2 4;
    message = "cidrSubnet: subnet number 4 is out of range for 2 new bits of 10.0.0.0/24 (valid: 0..3)";
  };
}
