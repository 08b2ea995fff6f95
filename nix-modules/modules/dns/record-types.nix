# The DNS record types that `dns.records.<name>.<TYPE>` accepts, as a data table: one
# entry per type, from which dns.nix builds the options, the checks and the zone-file
# lines. Adding a type is adding an entry.
#
# Type: { lib, network } -> attrsOf {
#   description : string            what the option says
#   example     : value             an example definition
#   value       : option type       one value; the option takes one value or a list
#   single      : bool              at most one value per name (CNAME)
#   render      : value -> string   the record's data as written in the zone file
# }
#
# Domain names inside record data (CNAME, NS, MX, SRV targets) are absolute; a missing
# trailing dot is added, so "mail.example.org" means "mail.example.org.". A single label
# needs its dot ("localhost."): "web" alone is refused, being almost surely meant as
# web.<zone>.
{ lib, network }:
let
  inherit (lib) mkOption types;
  inherit (builtins) match elemAt stringLength substring concatStringsSep;

  labelRe = "([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)";
  nameRe = "(${labelRe}[.])*${labelRe}[.]?";

  # A name inside record data is absolute, so a single label ("web") would mean the
  # top-level name "web.": almost always a name meant relative to the zone. It must then
  # be written with its dot ("localhost."); two labels or more need none.
  targetRe = "(${labelRe}[.])+${labelRe}[.]?|${labelRe}[.]";
  # ...and its last label is not all digits (no top-level name is): "198.18.0.11" is an
  # address, and MX, NS, CNAME and SRV must name a host, not an address (RFC 1912 2.4).
  numericTop = v: match "(.*[.])?[0-9]+[.]?" v != null;
  domainType = types.addCheck (types.strMatching targetRe) (v: !numericTop v) // {
    description = "absolute domain name, not an address (e.g. \"web.example.org\"; a single label only with its dot: \"localhost.\")";
  };

  absolute = n: if lib.hasSuffix "." n then n else "${n}.";

  ipv4Type = types.str // { name = "ipv4"; description = "IPv4 address"; check = network.isIPv4; };
  ipv6Type = types.str // { name = "ipv6"; description = "IPv6 address"; check = network.isIPv6; };

  u16 = types.ints.u16;
  # FLAGS is one byte (0 to 255).
  caaRe = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])[[:space:]]+[A-Za-z0-9]+[[:space:]]+\"[^\"]*\"";
  # A number 0..65535 in a shorthand string (as u16 for the structured form).
  u16Re = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})";

  # A structured value, or its shorthand string (`pattern`), rendered the same way.
  # `options`: the submodule's options, or a module (for options that read each other).
  # `endsInName`: the shorthand's last word is a host name (MX, SRV), checked as domainType.
  structured = { shorthand, shorthandDescription, options, endsInName ? false }:
    types.either
      (types.addCheck (types.strMatching shorthand) (v: !endsInName || !numericTop (lib.last (words v))) // { description = shorthandDescription; })
      (types.submodule (if builtins.isFunction options then options else { inherit options; }));

  # TXT: strings longer than 255 bytes are split into several <character-string>s of one
  # record (RFC 1035 3.3); `"` and `\` are escaped, and control characters (a newline
  # would end the line of the zone file) written as `\DDD', their decimal code.
  chunks = s: if stringLength s <= 255 then [ s ] else [ (substring 0 255 s) ] ++ chunks (substring 255 (stringLength s - 255) s);
  controlCodes = builtins.genList (i: i + 1) 31 ++ [ 127 ];
  hexDigit = i: builtins.substring i 1 "0123456789abcdef";
  controlChars = map (c: builtins.fromJSON "\"\\u00${hexDigit (c / 16)}${hexDigit (c - c / 16 * 16)}\"") controlCodes;
  decimalEscape = c: "\\" + lib.fixedWidthString 3 "0" (toString c);
  quote = s: "\"" + builtins.replaceStrings ([ "\\" "\"" ] ++ controlChars) ([ "\\\\" "\\\"" ] ++ map decimalEscape controlCodes) s + "\"";

  words = s: builtins.filter (w: builtins.isString w && w != "") (builtins.split "[[:space:]]+" s);

  # Nixus's way to write a value as an attribute set with one field (`{ address = ...; }`
  # for A, `{ domain = ...; }` for CNAME and NS, `{ text = ...; }` for TXT): accepted and
  # turned into the plain value.
  nixusField = field: final: types.coercedTo
    (types.addCheck types.attrs (v: builtins.attrNames v == [ field ]) // {
      description = "Nixus's { ${field} = ...; }";
    })
    (v: v.${field})
    final;
in
{
  A = {
    description = "IPv4 addresses of the name.";
    example = [ "198.18.0.12" ];
    value = nixusField "address" ipv4Type;
    single = false;
    render = v: v;
  };

  AAAA = {
    description = "IPv6 addresses of the name.";
    example = "2001:db8::12";
    value = nixusField "address" ipv6Type;
    single = false;
    render = network.canonicalIP;
  };

  CNAME = {
    description = "The canonical name this name is an alias of. Nothing else may be defined at a name with a CNAME.";
    example = "web.example.org.";
    value = nixusField "domain" domainType;
    single = true;
    render = absolute;
  };

  NS = {
    description = "Name servers of the name (a delegation, or the zone's own servers at its apex).";
    example = [ "ns1.example.org." ];
    value = nixusField "domain" domainType;
    single = false;
    render = absolute;
  };

  MX = {
    description = "Mail exchangers: \"PREFERENCE HOST\", a bare \"HOST\" (preference 10), or { preference; exchange; } (Nixus's `domain` for `exchange`).";
    example = [ "10 mail.example.org." { preference = 20; exchange = "backup-mx.example.org."; } ];
    # A bare host name (Nixus's string form) has preference 10, as in Nixus.
    value = types.coercedTo (domainType // { description = "bare host name (preference 10)"; }) (h: "10 ${h}") (structured {
      shorthand = "${u16Re}[[:space:]]+(${targetRe})";
      endsInName = true;
      shorthandDescription = "\"PREFERENCE HOST\"";
      options = { config, ... }: {
        options = {
          preference = mkOption { type = u16; default = 10; description = "Lower is preferred."; };
          exchange = mkOption {
            type = domainType;
            default = if config.domain != null then config.domain
              else throw "An MX record given as an attribute set needs `exchange' (the mail server's name; Nixus's `domain').";
            defaultText = lib.literalExpression "domain";
            description = "The mail server's name.";
          };
          domain = mkOption { type = types.nullOr domainType; default = null; description = "Nixus's name for `exchange`."; };
        };
      };
    });
    single = false;
    render = v:
      if builtins.isString v then let w = words v; in "${elemAt w 0} ${absolute (elemAt w 1)}"
      else "${toString v.preference} ${absolute v.exchange}";
  };

  TXT = {
    description = "Text records; each string is one record (split into 255-byte pieces where longer).";
    example = [ "v=spf1 mx -all" ];
    value = nixusField "text" types.str;
    single = false;
    render = v: concatStringsSep " " (map quote (chunks v));
  };

  SRV = {
    description = "Service locations: \"PRIORITY WEIGHT PORT TARGET\" or { priority; weight; port; target; }.";
    example = [ "0 5 5060 sip.example.org." ];
    value = structured {
      # Target "." (RFC 2782): the service is decidedly not available at this name.
      shorthand = "${u16Re}[[:space:]]+${u16Re}[[:space:]]+${u16Re}[[:space:]]+(${targetRe}|[.])";
      endsInName = true;
      shorthandDescription = "\"PRIORITY WEIGHT PORT TARGET\"";
      options = {
        priority = mkOption { type = u16; default = 0; description = "Lower is tried first."; };
        weight = mkOption { type = u16; default = 0; description = "Relative weight among equal priorities."; };
        port = mkOption { type = types.port; description = "The service's port."; };
        target = mkOption {
          type = types.either domainType (types.enum [ "." ]);
          description = "The host providing the service; \".\" says there is none (RFC 2782).";
        };
      };
    };
    single = false;
    render = v:
      if builtins.isString v then
        let w = words v; in "${elemAt w 0} ${elemAt w 1} ${elemAt w 2} ${absolute (elemAt w 3)}"
      else "${toString v.priority} ${toString v.weight} ${toString v.port} ${absolute v.target}";
  };

  CAA = {
    description = "Certification authority authorisation: \"FLAGS TAG \\\"VALUE\\\"\" or { flags; tag; value; }.";
    example = [ "0 issue \"letsencrypt.org\"" ];
    # A bare string (Nixus's string form) is an `issue` property.
    value = types.coercedTo
      # RFC 8659's issuer: a domain name, then optional `; key=value' parameters ("" or ";"
      # forbid every CA). "issue letsencrypt.org" is none: the tag belongs in the long form.
      (types.addCheck types.str (v: match caaRe v == null && match "([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)?[[:space:]]*(;[^\"]*)?" v != null) // { description = "bare issuer domain (an issue property)"; })
      (v: "0 issue ${quote v}")
      (structured {
      shorthand = caaRe;
      shorthandDescription = "\"FLAGS TAG \\\"VALUE\\\"\"";
      options = {
        # Nixus writes { issuerCritical = true; } for 128.
        flags = mkOption {
          type = types.either types.ints.u8 (types.submodule { options.issuerCritical = mkOption { type = types.bool; default = false; description = "The critical flag (128)."; }; });
          default = 0;
          description = "128 marks the property critical (Nixus: { issuerCritical = true; }).";
        };
        tag = mkOption { type = types.strMatching "[A-Za-z0-9]+"; example = "issue"; description = "issue, issuewild, iodef, ..."; };
        value = mkOption { type = types.str; example = "letsencrypt.org"; description = "The property's value."; };
      };
    });
    single = false;
    render = v:
      if builtins.isString v then
        let m = match "([0-9]+)[[:space:]]+([A-Za-z0-9]+)[[:space:]]+(.*)" v; in "${elemAt m 0} ${elemAt m 1} ${elemAt m 2}"
      else "${toString (if builtins.isAttrs v.flags then (if v.flags.issuerCritical then 128 else 0) else v.flags)} ${v.tag} ${quote v.value}";
  };
}
