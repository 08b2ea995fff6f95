# Option declarations and the helpers that print options, definitions and values.
#
# Part of the bundled module system (see modules.nix for the evaluation itself and
# types.nix for the option types). Everything here is written for nixmesh; the names and
# shapes follow nixpkgs' `lib` so user modules work with both.
#
# Location format (a contract with the Go side, see docs/internals.md "Errors from Nix"):
# every definition shown in an error is printed as
#
#     - In `FILE:LINE:COL': VALUE
#
# when the definition's position is known (captured with builtins.unsafeGetAttrPos while
# definitions are pushed down through attribute sets), else as
#
#     - In `FILE': VALUE
#
# and option paths are printed as `a.b.c' (parts that are not plain identifiers are
# quoted: `dns.records."web.lab.test.".A').
{ lib }:
let
  inherit (builtins)
    attrNames concatStringsSep filter head isAttrs isFunction isList isString length map
    match replaceStrings stringLength substring tail toJSON typeOf;

  # Strings and lists of this file need no other part of the lib.
  isDerivation = x: isAttrs x && (x.type or null) == "derivation";

  identifierRe = "[a-zA-Z_][a-zA-Z0-9_'-]*";

  escapeString = s:
    "\"" + replaceStrings [ "\\" "\"" "\n" "\r" "\t" "\${" ] [ "\\\\" "\\\"" "\\n" "\\r" "\\t" "\\\${" ] s + "\"";

  showPart = part:
    if part == "*" || match "<.+>" part != null || match identifierRe part != null
    then part
    else lib.strings.escapeNixString part; # nixpkgs' quoting: every `$' escaped

  # Render any Nix value as Nix-like text. `depth` bounds nesting (deeper values print as
  # `…`), `multiline` chooses between one line and an indented layout.
  pretty = { multiline, depth }: indent: v:
    let
      t = typeOf v;
      nl = if multiline then "\n" + indent + "  " else " ";
      close = if multiline then "\n" + indent else " ";
      next = pretty { inherit multiline; depth = depth - 1; } (indent + "  ");
      paren = s: if match "[^ ]*" s != null then s else "(" + s + ")";
    in
    if t == "null" then "null"
    else if t == "bool" then (if v then "true" else "false")
    else if t == "int" then toString v
    else if t == "float" then toJSON v
    else if t == "string" then
      (if multiline && match ".*\n.+" v != null
       then "''" + "\n" + indent + "  "
         + replaceStrings [ "\n" "''" "\${" ] [ ("\n" + indent + "  ") "'''" "''\${" ] v
         + "''"
       else escapeString v)
    else if t == "path" then toString v
    else if t == "lambda" then
      (let args = builtins.functionArgs v; in
       if args == { } then "<function>"
       else "<function, args: {${concatStringsSep ", " (map (n: if args.${n} then n + "?" else n) (attrNames args))}}>")
    else if t == "list" then
      (if v == [ ] then "[ ]"
       else if depth <= 0 then "[ … ]"
       else "[" + concatStringsSep "" (map (x: nl + next x) v) + close + "]")
    else if t == "set" then
      (let ty = v._type or null; in
       if ty == "literalExpression" || ty == "literalMD" then v.text
       else if ty == "option-type" then "<type `${v.description or v.name or "?"}'>"
       else if ty == "option" then "lib.mkOption { … }"
       else if ty == "if" then "lib.mkIf ${next v.condition} ${paren (next v.content)}"
       else if ty == "merge" then "lib.mkMerge ${next v.contents}"
       else if ty == "override" then "lib.mkOverride ${toString v.priority} ${paren (next v.content)}"
       else if ty == "order" then "lib.mkOrder ${toString v.priority} ${paren (next v.content)}"
       else if isDerivation v then "<derivation ${v.name or "?"}>"
       else if v ? __toString && !(v ? _type) then escapeString (toString v)
       else if v == { } then "{ }"
       else if depth <= 0 then "{ … }"
       else "{" + concatStringsSep "" (map (n: nl + showPart n + " = " + next v.${n} + ";") (attrNames v)) + close + "}")
    else "<${t}>";

  # Shorten a rendering to at most 10 lines / 600 characters.
  truncate = s:
    let
      lines = filter isString (builtins.split "\n" s);
      kept = if length lines > 10 then concatStringsSep "\n" (take' 10 lines) + "\n…" else s;
    in
    if stringLength kept > 600 then substring 0 600 kept + "…" else kept;

  take' = n: l: builtins.genList (i: builtins.elemAt l i) (if n < length l then n else length l);

  # A definition's location: `FILE:LINE:COL' from its captured position, else its file.
  # A module's `_file' set to a name that is not a path (e.g. "generated config") is
  # what the user wants to see: it wins over the position in the source.
  defLocation = def:
    let
      pos = def.pos or null;
      file = toString def.file;
      named = file != "" && substring 0 1 file != "/" && substring 0 1 file != "<";
    in
    if pos != null && (!named || toString pos.file == file) then "${pos.file}:${toString pos.line}:${toString pos.column}" else file;

  prioritySuggestion = ''
    Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.'';
in
{
  /* Declare an option. Every attribute is optional:
     type, default, defaultText, example, description, readOnly, internal, visible, apply.

     Type: mkOption :: AttrSet -> Option

     Example:
       mkOption { type = types.port; default = 22; description = "SSH port."; }
  */
  mkOption =
    { default ? null, defaultText ? null, example ? null, description ? null
    , relatedPackages ? null, type ? null, apply ? null, internal ? null
    , visible ? null, readOnly ? null
    }@attrs:
    attrs // { _type = "option"; };

  /* Declare a boolean option that defaults to false, described as
     "Whether to enable NAME.".

     Type: mkEnableOption :: String -> Option

     Example:
       mkEnableOption "the VPN"   # => option { type = bool; default = false; example = true; }
  */
  mkEnableOption = name: lib.options.mkOption {
    type = lib.types.bool;
    default = false;
    example = true;
    description = "Whether to enable ${name}.";
  };

  /* An option holding a package of `pkgs` (any attribute set of packages): its
     default is the attribute `default` names (a name or an attribute path; the option's
     `name`, the last part of a path, by default; null: no default, or null when
     `nullable`), shown in documentation as `PKGSTEXT.PATH`. `example` is an attribute
     path (shown the same way) or a Nix expression as a string.

     Type: mkPackageOption :: AttrSet -> (String | [String]) -> AttrSet -> Option

     Example:
       mkPackageOption pkgs "hello" { }
       # => an option of type package, default pkgs.hello, "The hello package to use."
  */
  mkPackageOption = pkgs: name:
    { nullable ? false, default ? name, example ? null, extraDescription ? "", pkgsText ? "pkgs" }:
    let
      shown = if isList name then lib.lists.last name else name;
      path = if isList default then default else [ default ];
      pathText = lib.attrsets.showAttrPath path;
      defaults =
        if default != null then {
          default = lib.attrsets.attrByPath path (throw "${pathText} cannot be found in ${pkgsText}") pkgs;
          defaultText = lib.options.literalExpression "${pkgsText}.${pathText}";
        }
        else if nullable then { default = null; }
        else { };
    in
    lib.options.mkOption (defaults // {
      description = "The ${shown} package to use." + (if extraDescription == "" then "" else " " + extraDescription);
      type = if nullable then lib.types.nullOr lib.types.package else lib.types.package;
    } // (if example == null then { } else {
      example = lib.options.literalExpression
        (if isList example then "${pkgsText}.${lib.attrsets.showAttrPath example}" else example);
    }));

  # Deprecated nixpkgs name of mkPackageOption.
  mkPackageOptionMD = lib.options.mkPackageOption;

  /* Declare options that accept (and ignore) any definitions.

     Type: mkSinkUndeclaredOptions :: AttrSet -> Option
  */
  mkSinkUndeclaredOptions = attrs: lib.options.mkOption ({
    internal = true;
    visible = false;
    default = false;
    description = "Sink for option definitions.";
    type = lib.types.mkOptionType { name = "sink"; check = _: true; merge = _: _: false; };
    apply = _: throw "Option value is not readable because the option is not declared.";
  } // attrs);

  /* Make an option type (see types.nix for the attributes).
     Type: mkOptionType :: AttrSet -> OptionType
     Example: mkOptionType { name = "even"; check = x: builtins.isInt x && x / 2 * 2 == x; } */
  mkOptionType = attrs: lib.types.mkOptionType attrs;

  /* Whether a value is an option type. Type: isOptionType :: Any -> Bool */
  isOptionType = x: isAttrs x && (x._type or null) == "option-type";

  /* Whether `x` is tagged with `_type = type`.
     Type: isType :: String -> Any -> Bool
     Example: isType "option" (mkOption { }) => true */
  isType = type: x: isAttrs x && (x._type or null) == type;

  /* Tag an attribute set with `_type`.
     Type: setType :: String -> AttrSet -> AttrSet
     Example: setType "literalExpression" { text = "1"; } */
  setType = type: value: value // { _type = type; };

  /* The default way of merging two types' functors (see types.nix).
     Type: defaultTypeMerge :: Functor -> Functor -> OptionType or null */
  defaultTypeMerge = f: f': lib.types.defaultTypeMerge f f';

  /* Whether a value is an option declaration made with mkOption.

     Type: isOption :: Any -> Bool

     Example: isOption (mkOption { }) => true
  */
  isOption = v: isAttrs v && (v._type or null) == "option";

  /* Mark a string as a Nix expression, for `defaultText` and `example`.

     Type: literalExpression :: String -> AttrSet

     Example: literalExpression "config.networking.hostName"
  */
  literalExpression = text:
    if !isString text then throw "literalExpression expects a string."
    else { _type = "literalExpression"; inherit text; };

  # Deprecated nixpkgs name of literalExpression.
  literalExample = text: { _type = "literalExpression"; inherit text; };

  /* Mark a string as Markdown, for `defaultText` and `example`.

     Type: literalMD :: String -> AttrSet

     Example: literalMD "the node's name"
  */
  literalMD = text:
    if !isString text then throw "literalMD expects a string."
    else { _type = "literalMD"; inherit text; };

  /* The values of a list of definitions.

     Type: getValues :: [{ value, ... }] -> [Any]

     Example: getValues [ { file = "a"; value = 1; } ] => [ 1 ]
  */
  getValues = map (d: d.value);

  /* The files of a list of definitions.

     Type: getFiles :: [{ file, ... }] -> [String]
  */
  getFiles = map (d: d.file);

  /* Merge function for `types.unspecified`: one definition is taken as is; lists are
     concatenated, attribute sets updated, booleans or-ed, strings concatenated,
     functions merged by result. Anything else is an error naming every definition.

     Type: mergeDefaultOption :: [String] -> [Def] -> Any
  */
  mergeDefaultOption = loc: defs:
    let
      values = map (d: d.value) defs;
      allOf = p: builtins.all p values;
    in
    if length defs == 1 then (head defs).value
    else if allOf isFunction then (x: lib.options.mergeDefaultOption loc (map (d: d // { value = d.value x; }) defs))
    else if allOf isList then builtins.concatLists values
    else if allOf isAttrs then builtins.foldl' (a: b: a // b) { } values
    else if allOf builtins.isBool then builtins.any (x: x) values
    else if allOf isString then concatStringsSep "" values
    else throw "Cannot merge definitions of `${lib.options.showOption loc}'. Definition values:${lib.options.showDefs defs}";

  /* Merge function for options that must be defined once. `message` is added to the
     error; `merge` handles the single definition.

     Type: mergeUniqueOption :: { message, merge? } -> [String] -> [Def] -> Any
  */
  mergeUniqueOption = { message, merge ? loc: defs: (head defs).value }: loc: defs:
    if length defs == 1 then merge loc defs
    else throw "The option `${lib.options.showOption loc}' is defined multiple times while it's expected to be unique.${if message == "" then "" else "\n" + message}\nDefinition values:${lib.options.showDefs defs}\n${prioritySuggestion}";

  /* Merge function that accepts exactly one definition.

     Type: mergeOneOption :: [String] -> [Def] -> Any
  */
  mergeOneOption = loc: defs: lib.options.mergeUniqueOption { message = ""; } loc defs;

  /* Merge function that accepts several definitions only when they are all equal.

     Type: mergeEqualOption :: [String] -> [Def] -> Any

     Example: mergeEqualOption [ "a" ] [ { file = "x"; value = 1; } { file = "y"; value = 1; } ] => 1
  */
  mergeEqualOption = loc: defs:
    if defs == [ ] then throw "mergeEqualOption: no definitions for `${lib.options.showOption loc}'."
    else if length defs == 1 then (head defs).value
    else
      (builtins.foldl'
        (first: def:
          if isFunction def.value || def.value != first.value
          then throw "The option `${lib.options.showOption loc}' has conflicting definition values:${lib.options.showDefs [ first def ]}\n${prioritySuggestion}"
          else first)
        (head defs) (tail defs)).value;

  /* Print an option path, quoting parts that are not identifiers.

     Type: showOption :: [String] -> String

     Example: showOption [ "dns" "records" "a.test." ] => "dns.records.\"a.test.\""
  */
  showOption = parts: concatStringsSep "." (map showPart parts);

  /* Print a list of files as `a', `b'.

     Type: showFiles :: [String] -> String
  */
  showFiles = files: concatStringsSep ", " (map (f: "`${f}'") files);

  /* The location of a definition: `FILE:LINE:COL` when its position is known, else FILE.

     Type: showDefLocation :: Def -> String

     Example: showDefLocation { file = "/a.nix"; pos = { file = "/a.nix"; line = 3; column = 5; }; } => "/a.nix:3:5"
  */
  showDefLocation = defLocation;

  /* Print definitions for an error message, one per line:
     "\n- In `FILE:LINE:COL': VALUE" (value shortened; see the header for the format).

     Type: showDefs :: [Def] -> String
  */
  showDefs = defs: concatStringsSep "" (map
    (def:
      let
        short = pretty { multiline = false; depth = 4; } "" def.value;
        r = builtins.tryEval (
          if stringLength short <= 80 then short
          else truncate (pretty { multiline = true; depth = 4; } "    " def.value));
        shown = if r.success then r.value else "<error while printing the value>";
      in
      "\n- In `${defLocation def}': ${shown}")
    defs);

  /* Render a Nix value as Nix-like text on several lines (lib.generators.toPretty style).

     Type: toPretty :: AttrSet -> Any -> String

     Example: toPretty { } { a = [ 1 "x" ]; } => "{\n  a = [\n    1\n    \"x\"\n  ];\n}"
  */
  toPretty = { multiline ? true, depth ? 100, ... }: v: pretty { inherit multiline depth; } "" v;

  /* Render a Nix value briefly, on one line, for messages.

     Type: showValue :: Any -> String

     Example: showValue { a = 1; } => "{ a = 1; }"
  */
  showValue = v: truncate (pretty { multiline = false; depth = 3; } "" v);

  # File name used for definitions whose origin is unknown.
  unknownModule = "<unknown-file>";

  /* The visible options of an evaluation as a flat, JSON-able list for documentation:
     [{ name, type, default?, example?, description, declarations, readOnly, internal,
        visible, loc }]. Sub-options of submodules are listed under `<name>` / `*`
     placeholders (`nodes.<name>.host`). `default` and `example` are plain values when
     JSON-able, else `{ _type = "literalExpression"; text = ...; }`.

     Type: optionAttrSetToDocList :: AttrSet -> [AttrSet]

     Example:
       optionAttrSetToDocList (evalModules { modules = [ m ]; }).options
  */
  optionAttrSetToDocList = options: lib.options.optionAttrSetToDocList' [ ] options;

  optionAttrSetToDocList' = _prefix: options:
    let
      inherit (lib.options) isOption renderOptionValue;
      collect = v:
        if isOption v then [ v ]
        else if isAttrs v then builtins.concatMap (n: collect v.${n}) (attrNames v)
        else [ ];
      entry = opt:
        let
          visible = opt.visible or true;
          internal = opt.internal or false;
          shown = (visible == true || visible == "shallow") && internal != true;
          decls = opt.declarationPositions or [ ];
          doc = {
            name = lib.options.showOption opt.loc;
            loc = opt.loc;
            type = if opt ? type && opt.type != null then opt.type.description or "unspecified" else "unspecified";
            description = if opt ? description && opt.description != null then opt.description else null;
            # Files, as nixpkgs lists them; FILE:LINE where known in declarationLocations
            # (nixmesh's `options` command shows those).
            declarations = map toString (opt.declarations or [ ]);
            declarationLocations =
              if decls != [ ] then map (p: if (p.line or null) != null then "${p.file}:${toString p.line}" else p.file) decls
              else map toString (opt.declarations or [ ]);
            readOnly = opt.readOnly or false == true;
            internal = internal == true;
            visible = visible == true || visible == "shallow";
          }
          // (if opt ? defaultText && opt.defaultText != null then {
                default =
                  if isString opt.defaultText
                  then { _type = "literalExpression"; text = opt.defaultText; }
                  else renderOptionValue opt.defaultText;
              }
              else if opt ? default then { default = renderOptionValue opt.default; } else { })
          // (if opt ? example && opt.example != null then { example = renderOptionValue opt.example; } else { });
          subs =
            if visible == true && internal != true && opt ? type && opt.type != null
            then
              (let s = opt.type.getSubOptions opt.loc; in
               if s == { } then [ ] else lib.options.optionAttrSetToDocList' opt.loc s)
            else [ ];
        in
        (if shown then [ doc ] else [ ]) ++ subs;
    in
    builtins.concatMap entry (collect options);

  # Alias of optionAttrSetToDocList.
  optionsToList = options: lib.options.optionAttrSetToDocList options;

  /* Render a default or example for documentation: literal values stay as they are,
     JSON-able values are returned as is, anything else becomes a literalExpression
     holding its pretty-printed text. A plain string defaultText is taken as an
     expression.

     Type: renderOptionValue :: Any -> Any
  */
  renderOptionValue = v:
    let
      jsonable = x:
        let t = typeOf x; in
        if t == "null" || t == "bool" || t == "int" || t == "float" || t == "string" then true
        else if t == "list" then builtins.all jsonable x
        else if t == "set" then
          !(isDerivation x) && !(x ? __toString) && !(x ? outPath) && !(x ? _type)
          && builtins.all (n: jsonable x.${n}) (attrNames x)
        else false;
      checked = builtins.tryEval (jsonable v);
    in
    if isAttrs v && (v._type or null == "literalExpression" || v._type or null == "literalMD") then
      { inherit (v) _type text; }
    else if checked.success && checked.value then v
    else
      let text = builtins.tryEval (pretty { multiline = true; depth = 100; } "" v); in
      { _type = "literalExpression"; text = if text.success then text.value else "<error>"; };

  # Documentation text that is code in the given language (a Markdown code block).
  # literalCode "nix" "pkgs.hello" => literalMD "```nix\npkgs.hello\n```\n"
  literalCode = languageTag: text: lib.options.literalMD "```${languageTag}\n${text}\n```\n";

  # A value made safe for documentation: derivations become a stand-in naming them
  # (nothing gets built), `_args` is dropped from sets.
  scrubOptionValue = x:
    if isDerivation x then { type = "derivation"; drvPath = x.name; outPath = x.name; name = x.name; }
    else if builtins.isList x then map lib.options.scrubOptionValue x
    else if builtins.isAttrs x then builtins.mapAttrs (_: lib.options.scrubOptionValue) (removeAttrs x [ "_args" ])
    else x;

  # "OPTION, with values defined in:" and one line per file.
  showOptionWithDefLocs = opt: ''
    ${lib.options.showOption opt.loc}, with values defined in:
    ${concatStringsSep "\n" (map (file: "  - ${file}") opt.files)}
  '';
}
