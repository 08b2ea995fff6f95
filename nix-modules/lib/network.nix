# IPv4 / IPv6 address and CIDR helpers (nixmesh-specific, used by the VPN and DNS
# modules). Not part of the bundled lib: imported by path (modules/cross/lib.nix).
#
# Representation: an IPv4 address is a list of 4 octets (0..255), an IPv6 address a
# list of 8 groups (0..65535). All arithmetic works on these "words" (8 or 16 bits), so
# IPv6 never needs 128-bit integers. Families are the strings "ipv4" and "ipv6".
#
# Parsing is strict: IPv4 octets without leading zeros ("010" is refused, as Go's
# net/netip does); IPv6 with at most one "::", 1-4 hex digits per group, an optional
# dotted IPv4 tail ("::ffff:1.2.3.4"), no zone ("%eth0"). Formatting of IPv6 follows
# RFC 5952: lowercase, no leading zeros, the longest run (first on a tie) of two or more
# zero groups as "::", IPv4-mapped addresses as "::ffff:a.b.c.d".
{ lib }:
let
  inherit (builtins) match elemAt length genList head tail foldl' filter isString
    concatStringsSep split stringLength substring;

  # 2^n as an integer (n <= 62).
  pow2 = n: foldl' (a: _: a * 2) 1 (genList (x: x) n);

  # 2^n as a float (for sizes beyond 64-bit integers).
  pow2f = n: foldl' (a: _: a * 2.0) 1.0 (genList (x: x) n);

  modInt = a: b: a - (a / b) * b;

  hexValues = {
    "0" = 0; "1" = 1; "2" = 2; "3" = 3; "4" = 4; "5" = 5; "6" = 6; "7" = 7; "8" = 8;
    "9" = 9; a = 10; b = 11; c = 12; d = 13; e = 14; f = 15;
    A = 10; B = 11; C = 12; D = 13; E = 14; F = 15;
  };
  hexChars = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "a" "b" "c" "d" "e" "f" ];

  parseHex = s: foldl' (acc: c: acc * 16 + hexValues.${c}) 0 (lib.stringToCharacters s);

  # Lowercase hex without leading zeros; "0" for 0.
  toHex = n: concatStringsSep "" (map (elemAt hexChars) (lib.toBaseDigits 16 n));

  # Hex with exactly `width` digits (for PTR nibbles).
  toHexWidth = width: n: lib.fixedWidthString width "0" (toHex n);

  # ---------------------------------------------------------------- parsing (null on error)

  octetRe = "(0|[1-9][0-9]{0,2})";
  ipv4Re = "${octetRe}\\.${octetRe}\\.${octetRe}\\.${octetRe}";

  tryIPv4 = s:
    let m = if isString s then match ipv4Re s else null; in
    if m == null then null
    else
      let octets = map builtins.fromJSON m; in
      if builtins.all (o: o <= 255) octets then octets else null;

  # Groups of one side of "::" (or the whole address). `tailAllowed` says whether a
  # dotted IPv4 tail may end this side. Returns null when invalid.
  tryGroups = s: tailAllowed:
    if s == "" then [ ]
    else
      let
        parts = filter isString (split ":" s);
        n = length parts;
        lastPart = elemAt parts (n - 1);
        v4 = if tailAllowed then tryIPv4 lastPart else null;
        hexParts = if v4 != null then lib.take (n - 1) parts else parts;
        hexOk = builtins.all (p: match "[0-9a-fA-F]{1,4}" p != null) hexParts;
        v4Groups = [ ((elemAt v4 0) * 256 + elemAt v4 1) ((elemAt v4 2) * 256 + elemAt v4 3) ];
      in
      if !hexOk then null
      else map parseHex hexParts ++ (if v4 != null then v4Groups else [ ]);

  tryIPv6 = s:
    if !(isString s) || match "[0-9a-fA-F:.]+" s == null then null
    else
      let
        halves = filter isString (split "::" s);
      in
      if length halves > 2 then null
      else if length halves == 1 then
        let g = tryGroups s true; in
        if g != null && length g == 8 then g else null
      else
        let
          left = tryGroups (elemAt halves 0) false;
          right = tryGroups (elemAt halves 1) true;
          missing = 8 - length left - length right;
        in
        if left == null || right == null || missing < 1 then null
        else left ++ genList (_: 0) missing ++ right;

  # { family, words } or null.
  tryIP = s:
    let v4 = tryIPv4 s; in
    if v4 != null then { family = "ipv4"; words = v4; }
    else
      let v6 = tryIPv6 s; in
      if v6 != null then { family = "ipv6"; words = v6; } else null;

  # Bits per word and total bits of a family.
  wordBits = family: if family == "ipv4" then 8 else 16;
  totalBits = family: if family == "ipv4" then 32 else 128;

  # { family, words, prefixLength } or null.
  tryCIDR = s:
    let m = if isString s then match "([^/]+)/(0|[1-9][0-9]{0,2})" s else null; in
    if m == null then null
    else
      let
        ip = tryIP (head m);
        p = builtins.fromJSON (elemAt m 1);
      in
      if ip == null || p > totalBits ip.family then null
      else ip // { prefixLength = p; };

  showArg = v: if isString v then builtins.toJSON v else "a value of type ${builtins.typeOf v}";

  parseOrThrow = fn: what: tryFn: s:
    let r = tryFn s; in
    if r == null then throw "${fn}: ${showArg s} is not a valid ${what}" else r;

  parsedCIDR = fn: parseOrThrow fn "CIDR (address/prefix-length, e.g. \"10.0.0.0/24\" or \"fd00::/64\")" tryCIDR;
  parsedIP = fn: parseOrThrow fn "IP address" tryIP;

  # ---------------------------------------------------------------- word arithmetic

  # Number of host bits kept of word i (0-based) for a prefix length.
  keptBits = bits: prefix: i: lib.max 0 (lib.min bits (prefix - i * bits));

  # Host bits of every word cleared / set.
  maskWords = bits: prefix: words:
    lib.imap0 (i: w: let hb = bits - keptBits bits prefix i; s = pow2 hb; in (w / s) * s) words;
  fillWords = bits: prefix: words:
    lib.imap0 (i: w: let hb = bits - keptBits bits prefix i; s = pow2 hb; in (w / s) * s + s - 1) words;
  netmaskWords = bits: prefix: n:
    genList (i: let s = pow2 (bits - keptBits bits prefix i); in pow2 bits - s) n;

  # words + n (n >= 0), carrying from the last word; overflow past the first is dropped
  # (callers check ranges first).
  addWords = bits: words: n:
    let
      base = pow2 bits;
      go = i: rest: carry: acc:
        if i < 0 then acc
        else
          let s = elemAt words i + modInt rest base + carry; in
          go (i - 1) (rest / base) (s / base) ([ (modInt s base) ] ++ acc);
    in
    go (length words - 1) n 0 [ ];

  # words - n (n >= 0), borrowing from the last word.
  subWords = bits: words: n:
    let
      base = pow2 bits;
      go = i: rest: borrow: acc:
        if i < 0 then acc
        else
          let
            d = elemAt words i - modInt rest base - borrow;
            neg = d < 0;
          in
          go (i - 1) (rest / base) (if neg then 1 else 0) ([ (if neg then d + base else d) ] ++ acc);
    in
    go (length words - 1) n 0 [ ];

  formatWords = family: words:
    if family == "ipv4" then formatIPv4 words else formatIPv6 words;

  # ---------------------------------------------------------------- formatting

  formatIPv4 = octets: concatStringsSep "." (map toString octets);

  formatIPv6 = groups:
    let
      # The longest run of zero groups (start, length); first wins on a tie.
      best = (foldl'
        (st: g:
          let
            i = st.i;
            cur = if g == 0 then (if st.curLen == 0 then { curStart = i; curLen = 1; } else { inherit (st) curStart; curLen = st.curLen + 1; })
                  else { curStart = 0; curLen = 0; };
            better = cur.curLen > st.bestLen;
          in
          cur // {
            i = i + 1;
            bestStart = if better then cur.curStart else st.bestStart;
            bestLen = if better then cur.curLen else st.bestLen;
          })
        { i = 0; curStart = 0; curLen = 0; bestStart = 0; bestLen = 0; }
        groups);
      hexList = gs: concatStringsSep ":" (map toHex gs);
      isMapped = lib.take 6 groups == [ 0 0 0 0 0 65535 ];
      g6 = elemAt groups 6;
      g7 = elemAt groups 7;
    in
    if isMapped then
      "::ffff:" + formatIPv4 [ (g6 / 256) (modInt g6 256) (g7 / 256) (modInt g7 256) ]
    else if best.bestLen < 2 then hexList groups
    else
      hexList (lib.take best.bestStart groups) + "::"
      + hexList (lib.drop (best.bestStart + best.bestLen) groups);

  # ---------------------------------------------------------------- CIDR details

  cidrInfo = fn: s:
    let
      c = parsedCIDR fn s;
      bits = wordBits c.family;
      hostBits = totalBits c.family - c.prefixLength;
      netWords = maskWords bits c.prefixLength c.words;
      lastWords = fillWords bits c.prefixLength c.words;
    in
    c // { inherit bits hostBits netWords lastWords; };

  sizeOfHostBits = hb: if hb <= 62 then pow2 hb else pow2f hb;
in
rec {
  # ---------------------------------------------------------------- addresses

  # The 4 octets of an IPv4 address; throws when invalid.
  # parseIPv4 :: string -> [int]      parseIPv4 "10.0.0.1" => [ 10 0 0 1 ]
  parseIPv4 = parseOrThrow "parseIPv4" "IPv4 address" tryIPv4;

  # The 8 groups of an IPv6 address; throws when invalid.
  # parseIPv6 "fd00::1" => [ 64768 0 0 0 0 0 0 1 ]
  parseIPv6 = parseOrThrow "parseIPv6" "IPv6 address" tryIPv6;

  # Either family: { family = "ipv4" | "ipv6"; words = [int]; }.
  parseIP = parsedIP "parseIP";

  # Validation (false for any non-string).
  isIPv4 = s: tryIPv4 s != null;
  isIPv6 = s: tryIPv6 s != null;
  isIP = s: tryIP s != null;

  # "ipv4" or "ipv6"; throws when not an address.
  ipFamily = s: (parsedIP "ipFamily" s).family;

  # Render octets / groups (RFC 5952 for IPv6).
  # formatIPv6 [ 64768 0 0 0 0 0 0 1 ] => "fd00::1"
  inherit formatIPv4 formatIPv6;

  # The canonical text of an address of either family.
  # canonicalIP "FD00:0:0::01" => "fd00::1"
  canonicalIP = s: let ip = parsedIP "canonicalIP" s; in formatWords ip.family ip.words;

  # IPv4 address <-> 32-bit integer.
  # ipToInt "10.0.0.1" => 167772161; intToIPv4 167772161 => "10.0.0.1"
  ipToInt = s: foldl' (acc: o: acc * 256 + o) 0 (parseOrThrow "ipToInt" "IPv4 address" tryIPv4 s);
  intToIPv4 = n:
    if !(builtins.isInt n) || n < 0 || n > 4294967295 then
      throw "intToIPv4: ${builtins.toJSON n} is not in the IPv4 range 0..4294967295"
    else formatIPv4 [ (n / 16777216) (modInt (n / 65536) 256) (modInt (n / 256) 256) (modInt n 256) ];

  # ---------------------------------------------------------------- CIDR

  # Whether the string is address/prefix-length (host bits may be set).
  isCIDR = s: tryCIDR s != null;

  # Whether the string is an IPv4 / IPv6 CIDR (host bits may be set).
  isIPv4CIDR = s: let c = tryCIDR s; in c != null && c.family == "ipv4";
  isIPv6CIDR = s: let c = tryCIDR s; in c != null && c.family == "ipv6";

  # "ipv4" or "ipv6"; throws when not a CIDR.
  cidrFamily = s: (cidrInfo "cidrFamily" s).family;

  # Whether the string is a CIDR whose host bits are all zero ("10.0.0.0/24", not
  # "10.0.0.1/24").
  isNetworkCIDR = s:
    let c = tryCIDR s; in
    c != null && maskWords (wordBits c.family) c.prefixLength c.words == c.words;

  # Whether the host bits of a CIDR are all zero; throws when not a CIDR.
  cidrHostBitsZero = s:
    let c = cidrInfo "cidrHostBitsZero" s; in c.netWords == c.words;

  # Everything about a CIDR.
  # parseCIDR "10.77.0.5/24" => {
  #   family = "ipv4"; address = "10.77.0.5"; prefixLength = 24; cidr = "10.77.0.5/24";
  #   network = "10.77.0.0"; networkCIDR = "10.77.0.0/24"; broadcast = "10.77.0.255";
  #   netmask = "255.255.255.0"; firstAddress = "10.77.0.0"; lastAddress = "10.77.0.255";
  #   hostBits = 8; hostBitsZero = false; size = 256; }
  # broadcast is null for IPv6; size is a float when it does not fit a 64-bit integer.
  parseCIDR = s:
    let
      c = cidrInfo "parseCIDR" s;
      fmt = formatWords c.family;
      address = fmt c.words;
      network = fmt c.netWords;
    in
    {
      inherit (c) family prefixLength hostBits;
      inherit address network;
      cidr = "${address}/${toString c.prefixLength}";
      networkCIDR = "${network}/${toString c.prefixLength}";
      broadcast = if c.family == "ipv4" then fmt c.lastWords else null;
      netmask = fmt (netmaskWords c.bits c.prefixLength (length c.words));
      firstAddress = network;
      lastAddress = fmt c.lastWords;
      hostBitsZero = c.netWords == c.words;
      size = sizeOfHostBits c.hostBits;
    };

  # The network address / network CIDR of a CIDR.
  # cidrNetwork "10.77.0.5/24" => "10.77.0.0"
  cidrNetwork = s: let c = cidrInfo "cidrNetwork" s; in formatWords c.family c.netWords;
  cidrNetworkCIDR = s:
    let c = cidrInfo "cidrNetworkCIDR" s; in
    "${formatWords c.family c.netWords}/${toString c.prefixLength}";

  # The IPv4 broadcast address (the last address of the subnet); throws for IPv6.
  cidrBroadcast = s:
    let c = cidrInfo "cidrBroadcast" s; in
    if c.family != "ipv4" then throw "cidrBroadcast: ${builtins.toJSON s} is IPv6, which has no broadcast address (use cidrLastAddress)"
    else formatIPv4 c.lastWords;

  # The last address of a subnet, either family.
  cidrLastAddress = s: let c = cidrInfo "cidrLastAddress" s; in formatWords c.family c.lastWords;

  # The netmask ("255.255.255.0"; for IPv6 "ffff:ffff:ffff:ffff::").
  cidrNetmask = s:
    let c = cidrInfo "cidrNetmask" s; in
    formatWords c.family (netmaskWords c.bits c.prefixLength (length c.words));

  # The prefix length of a CIDR.
  cidrPrefixLength = s: (cidrInfo "cidrPrefixLength" s).prefixLength;

  # Number of addresses in the subnet: an integer up to 2^62, a float above.
  # cidrSize "10.0.0.0/24" => 256; cidrSize "::/0" => 3.402823669209385e+38
  cidrSize = s: sizeOfHostBits (cidrInfo "cidrSize" s).hostBits;

  # Whether the subnet contains the address, or the whole of another CIDR. Different
  # families never contain each other.
  # cidrContains "10.77.0.0/24" "10.77.0.9" => true
  cidrContains = s: x:
    let
      c = cidrInfo "cidrContains" s;
      inner =
        let asCIDR = tryCIDR x; in
        if asCIDR != null then asCIDR
        else
          let ip = parsedIP "cidrContains" x; in
          ip // { prefixLength = totalBits ip.family; };
    in
    inner.family == c.family
    && inner.prefixLength >= c.prefixLength
    && maskWords c.bits c.prefixLength inner.words == c.netWords;

  # Whether two CIDRs share at least one address.
  cidrsOverlap = a: b:
    let
      ca = cidrInfo "cidrsOverlap" a;
      cb = cidrInfo "cidrsOverlap" b;
      p = lib.min ca.prefixLength cb.prefixLength;
    in
    ca.family == cb.family
    && maskWords ca.bits p ca.words == maskWords cb.bits p cb.words;

  # The n-th address of the subnet, counting from the network address (n = 0);
  # negative n counts back from the last address (-1 = last). Throws with the valid
  # range when n is outside the subnet.
  # nthHost "10.77.0.0/24" 3 => "10.77.0.3"; nthHost "fd00::/64" 1 => "fd00::1"
  nthHost = s: n:
    let
      c = cidrInfo "nthHost" s;
      fits = k: c.hostBits >= 63 || k < pow2 c.hostBits;
      rangeText =
        if c.hostBits <= 62 then "0..${toString (pow2 c.hostBits - 1)} or -${toString (pow2 c.hostBits)}..-1"
        else "0..2^${toString c.hostBits}-1";
      outOfRange = throw "nthHost: host number ${toString n} is out of range for ${s} (valid: ${rangeText})";
    in
    if !(builtins.isInt n) then throw "nthHost: host number must be an integer, got ${builtins.typeOf n}"
    else if n >= 0 then
      (if fits n then formatWords c.family (addWords c.bits c.netWords n) else outOfRange)
    else
      (if fits (-n - 1) then formatWords c.family (subWords c.bits c.lastWords (-n - 1)) else outOfRange);

  # nthHost with the subnet's prefix length appended (an interface address).
  # nthHostCIDR "10.77.0.0/24" 3 => "10.77.0.3/24"
  nthHostCIDR = s: n:
    "${(nthHost s n)}/${toString (cidrInfo "nthHostCIDR" s).prefixLength}";

  # The netnum-th subnet of newbits more prefix bits (as Terraform's cidrsubnet).
  # newbits is at most 48.
  # cidrSubnet "10.0.0.0/16" 8 3 => "10.0.3.0/24"; cidrSubnet "fd00::/48" 16 1 => "fd00:0:0:1::/64"
  cidrSubnet = s: newbits: netnum:
    let
      c = cidrInfo "cidrSubnet" s;
      p = c.prefixLength + newbits;
      shift = totalBits c.family - p;
      # Add netnum << shift: whole words below the shift stay as they are (zero in
      # the network address); the rest gets netnum * 2^(shift mod bits) added.
      lowWords = shift / c.bits;
      highCount = length c.netWords - lowWords;
      high = addWords c.bits (lib.take highCount c.netWords) (netnum * pow2 (shift - lowWords * c.bits));
      words = high ++ lib.drop highCount c.netWords;
    in
    if !(builtins.isInt newbits) || newbits < 0 || newbits > 48 then
      throw "cidrSubnet: newbits must be an integer in 0..48, got ${builtins.toJSON newbits}"
    else if p > totalBits c.family then
      throw "cidrSubnet: ${s} has no room for ${toString newbits} more prefix bits (at most ${toString (totalBits c.family - c.prefixLength)})"
    else if !(builtins.isInt netnum) || netnum < 0 || netnum >= pow2 newbits then
      throw "cidrSubnet: subnet number ${builtins.toJSON netnum} is out of range for ${toString newbits} new bits of ${s} (valid: 0..${toString (pow2 newbits - 1)})"
    else "${formatWords c.family words}/${toString p}";

  # ---------------------------------------------------------------- reverse DNS

  # The PTR record name of an address.
  # ptrName "10.0.0.1" => "1.0.0.10.in-addr.arpa"
  # ptrName "2001:db8::1" => "1.0.0.0. ... .8.b.d.0.1.0.0.2.ip6.arpa" (32 nibbles)
  ptrName = s:
    let ip = parsedIP "ptrName" s; in
    if ip.family == "ipv4" then
      concatStringsSep "." (map toString (lib.reverseList ip.words)) + ".in-addr.arpa"
    else
      concatStringsSep "." (lib.reverseList (lib.stringToCharacters
        (concatStringsSep "" (map (toHexWidth 4) ip.words)))) + ".ip6.arpa";

  # The reverse zone of a subnet: the whole octets (IPv4) or nibbles (IPv6) of the
  # prefix. A prefix that is not on a boundary gives the enclosing zone (a /20 gives
  # the /16 zone).
  # reverseZoneName "10.77.0.0/24" => "0.77.10.in-addr.arpa"
  # reverseZoneName "fd00:1::/32" => "1.0.0.0.0.0.d.f.ip6.arpa"
  reverseZoneName = s:
    let c = cidrInfo "reverseZoneName" s; in
    if c.family == "ipv4" then
      concatStringsSep "." (map toString (lib.reverseList (lib.take (c.prefixLength / 8) c.netWords)))
      + (if c.prefixLength >= 8 then "." else "") + "in-addr.arpa"
    else
      let nibbles = lib.take (c.prefixLength / 4) (lib.stringToCharacters
        (concatStringsSep "" (map (toHexWidth 4) c.netWords))); in
      concatStringsSep "." (lib.reverseList nibbles)
      + (if nibbles != [ ] then "." else "") + "ip6.arpa";
}
