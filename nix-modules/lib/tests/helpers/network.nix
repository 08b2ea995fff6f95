# Cases for lib/network.nix. Each: { expr; expected; } or { expr; throws = true; }.
{ lib }:
let
  inherit (import ../../network.nix { inherit lib; })
    parseIPv4 parseIPv6 parseIP isIPv4 isIPv6 isIP ipFamily formatIPv4 formatIPv6
    canonicalIP ipToInt intToIPv4 isCIDR isNetworkCIDR cidrHostBitsZero parseCIDR
    cidrNetwork cidrNetworkCIDR cidrBroadcast cidrLastAddress cidrNetmask
    cidrPrefixLength cidrSize cidrContains cidrsOverlap nthHost nthHostCIDR ptrName
    reverseZoneName isIPv4CIDR isIPv6CIDR cidrFamily cidrSubnet;
in
{
  # ------------------------------------------------------------ IPv4 addresses
  parseIPv4 = { expr = parseIPv4 "10.0.0.1"; expected = [ 10 0 0 1 ]; };
  parseIPv4Extremes = { expr = [ (parseIPv4 "0.0.0.0") (parseIPv4 "255.255.255.255") ]; expected = [ [ 0 0 0 0 ] [ 255 255 255 255 ] ]; };
  parseIPv4OctetTooBig = { expr = parseIPv4 "256.0.0.1"; throws = true; };
  parseIPv4TooFewOctets = { expr = parseIPv4 "10.0.1"; throws = true; };
  isIPv4Valid = { expr = map isIPv4 [ "1.2.3.4" "192.168.100.200" "0.0.0.0" ]; expected = [ true true true ]; };
  isIPv4Invalid = {
    expr = map isIPv4 [ "" "1.2.3" "1.2.3.4.5" "01.2.3.4" "1.2.3.256" "1.2.3.-1" " 1.2.3.4" "1.2.3.4/24" "a.b.c.d" "::1" 17 null ];
    expected = [ false false false false false false false false false false false false ];
  };
  formatIPv4 = { expr = formatIPv4 [ 192 168 0 1 ]; expected = "192.168.0.1"; };
  ipToInt = { expr = [ (ipToInt "10.0.0.1") (ipToInt "0.0.0.0") (ipToInt "255.255.255.255") ]; expected = [ 167772161 0 4294967295 ]; };
  intToIPv4 = { expr = [ (intToIPv4 167772161) (intToIPv4 0) (intToIPv4 4294967295) ]; expected = [ "10.0.0.1" "0.0.0.0" "255.255.255.255" ]; };
  intToIPv4RoundTrip = { expr = intToIPv4 (ipToInt "198.18.0.11" + 1); expected = "198.18.0.12"; };
  intToIPv4TooBig = { expr = intToIPv4 4294967296; throws = true; };
  intToIPv4Negative = { expr = intToIPv4 (-1); throws = true; };
  ipToIntRejectsIPv6 = { expr = ipToInt "::1"; throws = true; };

  # ------------------------------------------------------------ IPv6 addresses
  parseIPv6Full = { expr = parseIPv6 "2001:0db8:0000:0000:0000:ff00:0042:8329"; expected = [ 8193 3512 0 0 0 65280 66 33577 ]; };
  parseIPv6Compressed = { expr = parseIPv6 "2001:db8::ff00:42:8329"; expected = [ 8193 3512 0 0 0 65280 66 33577 ]; };
  parseIPv6Unspecified = { expr = parseIPv6 "::"; expected = [ 0 0 0 0 0 0 0 0 ]; };
  parseIPv6Loopback = { expr = parseIPv6 "::1"; expected = [ 0 0 0 0 0 0 0 1 ]; };
  parseIPv6TrailingCompression = { expr = parseIPv6 "fd00::"; expected = [ 64768 0 0 0 0 0 0 0 ]; };
  parseIPv6UpperCase = { expr = parseIPv6 "FD00::ABCD"; expected = [ 64768 0 0 0 0 0 0 43981 ]; };
  parseIPv6SingleGroupCompression = { expr = parseIPv6 "1:2:3:4:5:6::8"; expected = [ 1 2 3 4 5 6 0 8 ]; };
  parseIPv6EmbeddedIPv4 = { expr = parseIPv6 "::ffff:192.168.1.2"; expected = [ 0 0 0 0 0 65535 49320 258 ]; };
  parseIPv6EmbeddedIPv4Full = { expr = parseIPv6 "1:2:3:4:5:6:1.2.3.4"; expected = [ 1 2 3 4 5 6 258 772 ]; };
  isIPv6Valid = { expr = map isIPv6 [ "::" "::1" "1::" "fe80::1:2" "1:2:3:4:5:6:7:8" "::ffff:1.2.3.4" "0000:0000::0" ]; expected = [ true true true true true true true ]; };
  isIPv6Invalid = {
    expr = map isIPv6 [ "" ":" ":::" "1::2::3" "1:2:3:4:5:6:7" "1:2:3:4:5:6:7:8:9" "1:2:3:4:5:6:7::8" "12345::" "g::1" "fe80::1%eth0" "1.2.3.4" "::1.2.3" "1.2.3.4::" ":1::" "1::2:" "::/64" 5 ];
    expected = [ false false false false false false false false false false false false false false false false false ];
  };
  isIPBoth = { expr = map isIP [ "10.0.0.1" "fd00::1" "host.example" "10.0.0.0/8" ]; expected = [ true true false false ]; };
  ipFamily = { expr = [ (ipFamily "10.0.0.1") (ipFamily "::1") ]; expected = [ "ipv4" "ipv6" ]; };
  ipFamilyInvalid = { expr = ipFamily "nope"; throws = true; };
  parseIPGeneric = { expr = parseIP "::2"; expected = { family = "ipv6"; words = [ 0 0 0 0 0 0 0 2 ]; }; };
  formatIPv6LongestRun = { expr = formatIPv6 [ 8193 3512 0 0 1 0 0 0 ]; expected = "2001:db8:0:0:1::"; };
  formatIPv6FirstRunOnTie = { expr = formatIPv6 [ 8193 3512 0 0 1 0 0 1 ]; expected = "2001:db8::1:0:0:1"; };
  formatIPv6NoSingleZeroCompression = { expr = formatIPv6 [ 8193 3512 0 1 1 1 1 1 ]; expected = "2001:db8:0:1:1:1:1:1"; };
  formatIPv6AllZero = { expr = formatIPv6 [ 0 0 0 0 0 0 0 0 ]; expected = "::"; };
  formatIPv6Loopback = { expr = formatIPv6 [ 0 0 0 0 0 0 0 1 ]; expected = "::1"; };
  formatIPv6NoZeros = { expr = formatIPv6 [ 1 2 3 4 5 6 7 65535 ]; expected = "1:2:3:4:5:6:7:ffff"; };
  formatIPv6LeadingRun = { expr = formatIPv6 [ 0 0 0 1 0 0 0 0 ]; expected = "0:0:0:1::"; };
  canonicalIP = {
    expr = map canonicalIP [ "2001:0DB8:0000:0000:0000:0000:0000:0001" "fe80:0:0:0:0:0:0:1" "::FFFF:C0A8:0102" "10.1.2.3" "0:0:0:0:0:0:0:0" ];
    expected = [ "2001:db8::1" "fe80::1" "::ffff:192.168.1.2" "10.1.2.3" "::" ];
  };

  # ------------------------------------------------------------ CIDR parsing
  parseCIDRv4 = {
    expr = parseCIDR "10.77.0.5/24";
    expected = {
      family = "ipv4"; address = "10.77.0.5"; prefixLength = 24; cidr = "10.77.0.5/24";
      network = "10.77.0.0"; networkCIDR = "10.77.0.0/24"; broadcast = "10.77.0.255";
      netmask = "255.255.255.0"; firstAddress = "10.77.0.0"; lastAddress = "10.77.0.255";
      hostBits = 8; hostBitsZero = false; size = 256;
    };
  };
  parseCIDRv4Slash0 = {
    expr = with parseCIDR "1.2.3.4/0"; [ network broadcast netmask size hostBitsZero ];
    expected = [ "0.0.0.0" "255.255.255.255" "0.0.0.0" 4294967296 false ];
  };
  parseCIDRv4Slash32 = {
    expr = with parseCIDR "1.2.3.4/32"; [ network broadcast netmask size hostBitsZero ];
    expected = [ "1.2.3.4" "1.2.3.4" "255.255.255.255" 1 true ];
  };
  parseCIDRv4OddPrefix = {
    expr = with parseCIDR "172.16.5.77/20"; [ network broadcast netmask size ];
    expected = [ "172.16.0.0" "172.16.15.255" "255.255.240.0" 4096 ];
  };
  parseCIDRv4Slash31 = { expr = with parseCIDR "10.0.0.1/31"; [ network broadcast ]; expected = [ "10.0.0.0" "10.0.0.1" ]; };
  parseCIDRv6 = {
    expr = parseCIDR "FD00:0:0:0::5/64";
    expected = {
      family = "ipv6"; address = "fd00::5"; prefixLength = 64; cidr = "fd00::5/64";
      network = "fd00::"; networkCIDR = "fd00::/64"; broadcast = null;
      netmask = "ffff:ffff:ffff:ffff::"; firstAddress = "fd00::"; lastAddress = "fd00::ffff:ffff:ffff:ffff";
      hostBits = 64; hostBitsZero = false; size = 18446744073709551616.0;
    };
  };
  parseCIDRv6OddPrefix = {
    expr = with parseCIDR "2001:db8:abcd:1234::1/50"; [ network lastAddress netmask ];
    expected = [ "2001:db8:abcd::" "2001:db8:abcd:3fff:ffff:ffff:ffff:ffff" "ffff:ffff:ffff:c000::" ];
  };
  parseCIDRv6Slash0 = { expr = with parseCIDR "::/0"; [ network lastAddress hostBitsZero ]; expected = [ "::" "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" true ]; };
  parseCIDRv6Slash128 = { expr = with parseCIDR "::1/128"; [ network lastAddress size hostBitsZero ]; expected = [ "::1" "::1" 1 true ]; };
  parseCIDRRejectsPrefixTooLong = { expr = parseCIDR "10.0.0.0/33"; throws = true; };
  parseCIDRRejectsBareAddress = { expr = parseCIDR "10.0.0.0"; throws = true; };
  isCIDR = {
    expr = map isCIDR [ "10.0.0.0/8" "10.0.0.1/8" "0.0.0.0/0" "::/0" "fd00::1/128" "10.0.0.0/33" "::/129" "10.0.0.0" "10.0.0.0/" "10.0.0.0/08" "10.0.0.0/8/8" "/8" "x/8" 8 ];
    expected = [ true true true true true false false false false false false false false false ];
  };
  isNetworkCIDR = {
    expr = map isNetworkCIDR [ "10.0.0.0/8" "10.0.0.1/8" "10.0.0.1/32" "fd00::/64" "fd00::1/64" "::/0" "1.2.3.4" ];
    expected = [ true false true true false true false ];
  };
  cidrHostBitsZero = { expr = [ (cidrHostBitsZero "192.168.1.0/24") (cidrHostBitsZero "192.168.1.1/24") ]; expected = [ true false ]; };
  cidrNetworkBroadcast = {
    expr = [ (cidrNetwork "192.168.1.77/26") (cidrBroadcast "192.168.1.77/26") (cidrNetworkCIDR "192.168.1.77/26") (cidrLastAddress "fd00::/120") ];
    expected = [ "192.168.1.64" "192.168.1.127" "192.168.1.64/26" "fd00::ff" ];
  };
  cidrBroadcastIPv6Throws = { expr = cidrBroadcast "fd00::/64"; throws = true; };
  cidrNetmask = { expr = [ (cidrNetmask "10.0.0.0/8") (cidrNetmask "10.0.0.0/25") (cidrNetmask "::/0") (cidrNetmask "::/128") ]; expected = [ "255.0.0.0" "255.255.255.128" "::" "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" ]; };
  cidrPrefixLength = { expr = cidrPrefixLength "fd00::/48"; expected = 48; };
  cidrSize = {
    expr = map cidrSize [ "10.0.0.0/24" "10.0.0.0/32" "0.0.0.0/0" "fd00::/120" "fd00::/66" "fd00::/128" ];
    expected = [ 256 1 4294967296 256 4611686018427387904 1 ];
  };
  cidrSizeHugeIsFloat = {
    expr = map (c: builtins.typeOf (cidrSize c)) [ "fd00::/65" "fd00::/64" "::/0" ];
    expected = [ "float" "float" "float" ];
  };
  cidrSizeHugeValue = { expr = cidrSize "::/0" == 340282366920938463463374607431768211456.0; expected = true; };

  # ------------------------------------------------------------ containment
  cidrContainsAddress = {
    expr = [ (cidrContains "10.77.0.0/24" "10.77.0.9") (cidrContains "10.77.0.0/24" "10.77.1.0") (cidrContains "10.77.0.0/24" "10.77.0.255") (cidrContains "10.77.0.0/24" "10.76.255.255") ];
    expected = [ true false true false ];
  };
  cidrContainsEdges = {
    expr = [ (cidrContains "0.0.0.0/0" "255.1.2.3") (cidrContains "1.2.3.4/32" "1.2.3.4") (cidrContains "1.2.3.4/32" "1.2.3.5") (cidrContains "::/0" "fd00::1") (cidrContains "::1/128" "::1") ];
    expected = [ true true false true true ];
  };
  cidrContainsIPv6 = {
    expr = [ (cidrContains "fd00:1::/32" "fd00:1:ffff::1") (cidrContains "fd00:1::/32" "fd00:2::1") (cidrContains "2001:db8::/33" "2001:db8:7fff::1") (cidrContains "2001:db8::/33" "2001:db8:8000::") ];
    expected = [ true false true false ];
  };
  cidrContainsCrossFamily = { expr = [ (cidrContains "0.0.0.0/0" "::1") (cidrContains "::/0" "1.2.3.4") ]; expected = [ false false ]; };
  cidrContainsSubnet = {
    expr = [ (cidrContains "10.0.0.0/8" "10.1.0.0/16") (cidrContains "10.1.0.0/16" "10.0.0.0/8") (cidrContains "10.0.0.0/8" "10.0.0.0/8") ];
    expected = [ true false true ];
  };
  cidrContainsBadAddress = { expr = cidrContains "10.0.0.0/8" "10.0.0"; throws = true; };
  cidrsOverlap = {
    expr = [ (cidrsOverlap "10.0.0.0/8" "10.5.0.0/16") (cidrsOverlap "10.0.0.0/24" "10.0.1.0/24") (cidrsOverlap "fd00::/64" "fd00::1/128") (cidrsOverlap "10.0.0.0/8" "::/0") ];
    expected = [ true false true false ];
  };

  # ------------------------------------------------------------ nthHost
  nthHostV4 = { expr = map (nthHost "10.77.0.0/24") [ 0 1 3 255 (-1) (-2) (-256) ]; expected = [ "10.77.0.0" "10.77.0.1" "10.77.0.3" "10.77.0.255" "10.77.0.255" "10.77.0.254" "10.77.0.0" ]; };
  nthHostFromHostAddress = { expr = nthHost "10.77.0.200/24" 2; expected = "10.77.0.2"; };
  nthHostCarriesOctets = { expr = [ (nthHost "10.0.0.0/8" 65536) (nthHost "10.0.0.0/8" 16777215) (nthHost "172.16.0.0/12" 300) ]; expected = [ "10.1.0.0" "10.255.255.255" "172.16.1.44" ]; };
  nthHostSlash32 = { expr = [ (nthHost "1.2.3.4/32" 0) (nthHost "1.2.3.4/32" (-1)) ]; expected = [ "1.2.3.4" "1.2.3.4" ]; };
  nthHostSlash0 = { expr = [ (nthHost "0.0.0.0/0" 4294967295) (nthHost "::/0" 1) (nthHost "::/0" (-1)) ]; expected = [ "255.255.255.255" "::1" "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" ]; };
  nthHostV6 = { expr = map (nthHost "fd00:77::/64") [ 0 1 65535 65536 ]; expected = [ "fd00:77::" "fd00:77::1" "fd00:77::ffff" "fd00:77::1:0" ]; };
  nthHostV6Large = { expr = nthHost "fd00::/64" 9223372036854775807; expected = "fd00::7fff:ffff:ffff:ffff"; };
  nthHostV6Negative = { expr = nthHost "fd00::/64" (-65537); expected = "fd00::ffff:ffff:fffe:ffff"; };
  nthHostV6Slash128 = { expr = nthHost "fd00::7/128" 0; expected = "fd00::7"; };
  nthHostV6Small = { expr = nthHost "2001:db8::/120" 255; expected = "2001:db8::ff"; };
  nthHostOutOfRange = { expr = nthHost "10.77.0.0/24" 256; throws = true; };
  nthHostNegativeOutOfRange = { expr = nthHost "10.77.0.0/24" (-257); throws = true; };
  nthHostSlash32OutOfRange = { expr = nthHost "1.2.3.4/32" 1; throws = true; };
  nthHostV6OutOfRange = { expr = nthHost "fd00::/120" 256; throws = true; };
  nthHostBadCIDR = { expr = nthHost "10.77.0.0" 1; throws = true; };
  nthHostCIDR = { expr = [ (nthHostCIDR "10.77.0.0/24" 3) (nthHostCIDR "fd00::/64" 3) ]; expected = [ "10.77.0.3/24" "fd00::3/64" ]; };

  # ------------------------------------------------------------ subnets
  isFamilyCIDR = { expr = [ (isIPv4CIDR "10.0.0.0/8") (isIPv4CIDR "::/0") (isIPv6CIDR "::/0") (isIPv6CIDR "10.0.0.0/8") (isIPv6CIDR "::1") ]; expected = [ true false true false false ]; };
  cidrFamily = { expr = [ (cidrFamily "10.0.0.0/8") (cidrFamily "fd00::/8") ]; expected = [ "ipv4" "ipv6" ]; };
  cidrSubnetV4 = {
    expr = [ (cidrSubnet "10.0.0.0/16" 8 3) (cidrSubnet "10.0.0.0/8" 16 65535) (cidrSubnet "10.0.0.0/8" 0 0) (cidrSubnet "10.0.0.0/24" 8 255) (cidrSubnet "10.1.2.3/16" 4 15) ];
    expected = [ "10.0.3.0/24" "10.255.255.0/24" "10.0.0.0/8" "10.0.0.255/32" "10.1.240.0/20" ];
  };
  cidrSubnetV6 = {
    expr = [ (cidrSubnet "fd00::/48" 16 1) (cidrSubnet "fd00::/16" 48 1) (cidrSubnet "::/0" 48 281474976710655) (cidrSubnet "fd00::/60" 4 15) (cidrSubnet "fd00::/120" 8 255) ];
    expected = [ "fd00:0:0:1::/64" "fd00:0:0:1::/64" "ffff:ffff:ffff::/48" "fd00:0:0:f::/64" "fd00::ff/128" ];
  };
  cidrSubnetTooManyBits = { expr = cidrSubnet "10.0.0.0/24" 9 0; throws = true; };
  cidrSubnetNetnumOutOfRange = { expr = cidrSubnet "10.0.0.0/24" 2 4; throws = true; };
  cidrSubnetNegativeNetnum = { expr = cidrSubnet "10.0.0.0/24" 2 (-1); throws = true; };

  # ------------------------------------------------------------ reverse DNS
  ptrNameV4 = { expr = ptrName "10.0.0.1"; expected = "1.0.0.10.in-addr.arpa"; };
  ptrNameV6 = { expr = ptrName "2001:db8::567:89ab"; expected = "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"; };
  reverseZoneName = {
    expr = map reverseZoneName [ "10.77.0.0/24" "10.77.0.0/16" "10.0.0.0/8" "172.16.0.0/20" "0.0.0.0/0" "fd00:1::/32" "2001:db8::/48" "2001:db8::/47" "::/0" ];
    expected = [ "0.77.10.in-addr.arpa" "77.10.in-addr.arpa" "10.in-addr.arpa" "16.172.in-addr.arpa" "in-addr.arpa" "1.0.0.0.0.0.d.f.ip6.arpa" "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" "0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" "ip6.arpa" ];
  };
}
