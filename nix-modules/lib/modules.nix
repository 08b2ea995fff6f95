# The module system of the bundled lib: evalModules, the definition properties
# (mkIf, mkMerge, mkOverride, mkOrder and their shorthands) and rename helpers.
#
# How an evaluation runs (evalModules):
#   1. collect  — load every module (paths imported, functions called with every
#                 module argument, as nixpkgs calls them), follow `imports`
#                 breadth-first with builtins.genericClosure, de-duplicated by `key`,
#                 minus `disabledModules`;
#   2. merge    — in the reverse of the collection's order (as nixpkgs: it decides the
#                 order of list and `lines` values), walk the declared option tree level
#                 by level. At each level the definitions are "pushed down":
#                 mkIf/mkMerge/mkOverride around attribute sets are moved onto the
#                 attributes, and every attribute becomes a definition
#                 `{ file; value; pos; }` for the next level, where `pos` is
#                 `builtins.unsafeGetAttrPos name set` (a lazy thunk: computed only when an
#                 error prints it);
#   3. options  — at each declared option, the definitions are peeled (mkIf resolved,
#                 mkMerge flattened, priority and order read, nested as nixpkgs allows),
#                 only those with the best priority are kept, sorted by order, checked
#                 against the type and merged (types with a v2 merge check themselves).
# Definitions that match no declaration are either merged by `_module.freeformType` or
# reported ("The option `a.b' does not exist.") unless `_module.check` is false.
#
# The encodings of the properties are the ones nixpkgs uses, so definitions made here can
# be given to a NixOS evaluation unchanged:
#   { _type = "if"; condition; content; }      { _type = "merge"; contents; }
#   { _type = "override"; priority; content; } { _type = "order"; priority; content; }
# Error messages: see options.nix for the exact location format.
#
# `lib` is the lib's internal view (every helper); `publicLib` is what modules get as
# their `lib` argument: nixpkgs' surface (see default.nix).
{ lib, publicLib ? lib }:
let
  inherit (builtins)
    addErrorContext all any attrNames attrValues concatMap elemAt filter foldl' functionArgs genList
    genericClosure head intersectAttrs isAttrs isBool isFunction isList isPath isString
    length listToAttrs map mapAttrs removeAttrs sort substring tail typeOf unsafeGetAttrPos
    zipAttrsWith;

  inherit (lib.options) showOption showDefs showFiles mkOption;

  isOption = v: isAttrs v && (v._type or null) == "option";

  unknownFile = "<unknown-file>";
  libDir = toString ./.; # positions in the lib's own files say nothing about the user's file

  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;
  optionDefaultPriority = 1500;

  /* Make a definition conditional. Around an attribute set at a level of options it is
     pushed down onto each attribute, so the condition may read `config` without
     infinite recursion; the condition must be a Boolean.

     Type: mkIf :: Bool -> a -> Definition

     Example: config = mkIf config.vpn.enable { networking.firewall.allowedUDPPorts = [ 51820 ]; };
  */
  mkIf = condition: content: { _type = "if"; inherit condition content; };

  /* Several definitions in one place (each may be mkIf/mkOverride/...).

     Type: mkMerge :: [Definition] -> Definition

     Example: config = mkMerge [ { a = 1; } (mkIf cond { b = 2; }) ];
  */
  mkMerge = contents: { _type = "merge"; inherit contents; };

  /* Give a definition a priority: of all definitions of an option only those with the
     lowest number are used (plain definitions 100, mkDefault 1000, option defaults 1500,
     mkForce 50).

     Type: mkOverride :: Int -> a -> Definition

     Example: port = mkOverride 900 2222;
  */
  mkOverride = priority: content: { _type = "override"; inherit priority content; };

  /* Place a definition of a list or string option: merged definitions are sorted by this
     number (default 1000, mkBefore 500, mkAfter 1500; stable).

     Type: mkOrder :: Int -> a -> Definition

     Example: list = mkOrder 600 [ "early" ];
  */
  mkOrder = priority: content: { _type = "order"; inherit priority content; };

  propertyTypes = { "if" = true; merge = true; override = true; order = true; definition = true; };
  isProperty = v: isAttrs v && propertyTypes ? ${v._type or ""};

  last = l: elemAt l (length l - 1);

  # (Built with mapAttrs so the new attributes carry no position of this file.)
  setAttrByPath = path: value:
    foldl' (acc: n: mapAttrs (_: _: acc) { ${n} = null; }) value (reverse' path);
  reverse' = l: let n = length l; in genList (i: elemAt l (n - 1 - i)) n;

  attrByPath = path: default: set:
    if path == [ ] then set
    else if isAttrs set && set ? ${head path} then attrByPath (tail path) default set.${head path}
    else default;

  # Deep update, descending only where both sides have an attribute set.
  recUpdate = l: r:
    l // r // mapAttrs
      (n: _: let a = l.${n}; b = r.${n}; in if isAttrs a && isAttrs b then recUpdate a b else b)
      (intersectAttrs l r);

  # ----------------------------------------------------------------------------------
  # Loading modules

  # `meta' stays in a shorthand module's config; a structured module's `meta' is added to
  # its config (as nixpkgs does: it is a definition of the `meta' option, if declared).
  shorthandDrop = [ "_class" "_file" "key" "disabledModules" "imports" "freeformType" ];
  structuredKeys = shorthandDrop ++ [ "options" "config" "meta" ];

  # Added to the trace of an error while the modules are collected (see `ctx` below).
  importsHint = "if you get an infinite recursion here, you probably reference `config` in `imports`; import unconditionally instead and switch what the module does with an enable option and `mkIf`.";

  # Call a module function with every argument of `base` (lib, config, options,
  # specialArgs, and specialArgs' contents) and the others it names, lazily from
  # `config._module.args`. A function without `...` is called with them all too, so
  # `{ config }: ...` fails here as it fails on NixOS ("called with unexpected
  # argument 'lib'").
  applyModuleArgs = file: key: ctx: f:
    let
      fn = if isFunction f then f else f.__functor f;
      fargs = if isFunction f then functionArgs f else (f.__functionArgs or (functionArgs fn));
      which = if key == file then "`${file}'" else "`${file}' (module ${key})";
      lookup = name:
        ctx.base.${name} or (addErrorContext "while evaluating the module argument `${name}' in \"${key}\":"
          (ctx.config._module.args.${name} or (throw
            "The module argument \"${name}\" does not exist: the module in ${which} asks for it, but it is neither a special argument nor set in `_module.args' (available: ${builtins.concatStringsSep ", " (attrNames ctx.base ++ attrNames ctx.config._module.args)}).")));
    in
    fn (if fargs == { } then ctx.base else ctx.base // mapAttrs (name: _: lookup name) fargs);

  # A module as the rest of the evaluation sees it.
  normalize = ctx: file: key: m:
    if isFunction m || (isAttrs m && m ? __functor) then normalize ctx file key (applyModuleArgs file key ctx m)
    else if !isAttrs m then
      throw "Module ${file} (${key}) does not look like a module: it is a ${typeOf m}, but a module must be an attribute set, a function or a path."
    # Some other typed value (a flake, an evaluated configuration, a type, ...).
    else if m ? _type && !(isProperty m) && m._type != "module" then
      let
        into = ", while trying to load a module into ${toString file}"
          + (if ctx.base._prefix or [ ] == [ ] then "" else ", while trying to load a module into `${showOption ctx.base._prefix}'");
        help = {
          configuration = "\n\nIf you really mean to import this configuration, instead please only import the modules that make up the configuration: an evaluated configuration carries its own special arguments and cannot be loaded again. Bind the modules to a name (let, a file or an attribute) and import those.";
          flake = "\n\nPerhaps you forgot to select an attribute name? Instead of `inputs.someflake', write something like `inputs.someflake.nixosModules.default' (the module the flake exports).";
        };
      in
      throw "Expected a module, but found a value of type ${lib.strings.escapeNixString m._type}${into}.\nA module is typically loaded by adding it to the `imports = [ ... ];' attribute of an existing module, or in the `modules = [ ... ];' argument of various functions. Please make sure that each of the list items is a module, and not a different kind of value.${help.${m._type} or ""}"
    # A whole module under mkIf or mkOverride is its config (as in nixpkgs); other
    # properties are refused.
    else if isProperty m && (m._type == "if" || m._type == "override") then
      normalized ctx file key { } m
    else if isProperty m then
      throw "The module `${key}' (in `${file}') is a `${m._type}' property (mkMerge/mkOrder); put it under `config' instead."
    else if m ? config || m ? options then
      let extra = attrNames (removeAttrs m structuredKeys); in
      if extra != [ ] then
        let pos = unsafeGetAttrPos (head extra) m; in
        throw "Module `${if pos != null then "${pos.file}:${toString pos.line}:${toString pos.column}" else moduleFile file m}' has an unsupported attribute `${head extra}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${builtins.concatStringsSep " " extra}) into the explicit `config' attribute."
      else normalized ctx file key m (if m ? meta then mkMerge [ (m.config or { }) { meta = m.meta; } ] else m.config or { })
    else normalized ctx file key m (removeAttrs m shorthandDrop);

  normalized = ctx: file: key: m: cfg:
    if m ? _class && ctx.class != null && m._class != ctx.class then
      throw "The module `${moduleFile file m}` (class: ${lib.strings.escapeNixString m._class}) cannot be imported into a module evaluation that expects class ${lib.strings.escapeNixString ctx.class}: it was written for `${m._class}' (its `_class'), not `${ctx.class}'. Import the module meant for ${ctx.class}, or fix its `_class'."
    else {
      key = if m ? key then toString m.key else key;
      file = moduleFile file m;
      imports = m.imports or [ ];
      disabledModules = m.disabledModules or [ ];
      options = m.options or { };
      config = if m ? freeformType then mkMerge [ { _module.freeformType = m.freeformType; } cfg ] else cfg;
    };

  # A module's file: its `_file`, else the importing file; a module given as a value
  # (file unknown) is placed by its attributes' positions, unless those are in this lib.
  moduleFile = file: m:
    if m ? _file then m._file
    else if file != unknownFile then file
    else
      let
        names = attrNames m;
        posFile = if names == [ ] then null else (unsafeGetAttrPos (head names) m).file or null;
      in
      if posFile != null && dirOf posFile != libDir then posFile else file;

  isPathLike = m: isPath m || (isString m && substring 0 1 m == "/");

  loadModule = ctx: parentFile: parentKey: n: m:
    if isPathLike m then
      let f = toString m; in
      # Nix's own error for a missing file names only the file; this one also names
      # where it is imported (a path typed wrong is found there).
      if !builtins.pathExists m then
        let
          via = builtins.match "(.*), via option .*" (toString parentFile);
          from = if via == null then toString parentFile else head via;
        in
        throw "The module file ${f} does not exist: it is imported ${if parentFile == unknownFile then "" else "by `${from}' "}${if ctx.base._prefix == [ ] then "" else "into `${showOption ctx.base._prefix}' "}(a mistyped path, or a file not added yet)."
      else normalize ctx f f (import m)
    else if isString m then
      throw "The module `${parentKey}' (in `${parentFile}') imports the string \"${m}\", which is not an absolute path."
    else normalize ctx parentFile "${parentKey}:anon-${toString n}" m;

  # All modules of an evaluation, in breadth-first order, without duplicates (by key) and
  # without disabled modules (`modules`), and their import tree (`graph n`).
  collectModules = ctx: modules:
    let
      start = genList (i: loadModule ctx unknownFile "" (i + 1) (elemAt modules i)) (length modules);
      children = m: genList (i: loadModule ctx m.file m.key (i + 1) (elemAt m.imports i)) (length m.imports);
      everything = genericClosure { startSet = start; operator = children; };
      disabledKey = from: d:
        if isPath d then toString d
        else if isString d then
          (if substring 0 1 d == "/" || ctx.modulesPath == null then d else "${toString ctx.modulesPath}/${d}")
        else if isAttrs d && d ? key then toString d.key
        else if isAttrs d then
          throw "Module `${toString from.file}' contains a disabledModules item that is an attribute set, presumably a module, that does not have a `key' attribute. Only the modules with a key can be disabled: give that module a `key' and disable it by that key, or disable the file it comes from."
        else if builtins.isFunction d || builtins.isList d || d == null then
          throw "Each disabledModules item must be a path, a string, a module's key or an attribute set with a key attribute; `${toString from.file}' has a ${typeOf d}."
        # Any other value a module's key can be (a number, say), as its string.
        else toString d;
      disabled = listToAttrs (concatMap (m: map (d: { name = disabledKey m d; value = true; }) m.disabledModules) everything);
      keep = m: !(disabled ? ${m.key});
      # The import tree of the first `n` modules (the user's): each module's key, file,
      # whether it is disabled, and the modules it imports (listed even under a
      # disabled one; a module already on the way down is not followed again).
      graphNode = path: m: {
        inherit (m) key file;
        disabled = disabled ? ${m.key};
        imports = if builtins.elem m.key path then [ ] else map (graphNode (path ++ [ m.key ])) (children m);
      };
    in
    {
      modules =
        if disabled == { } then everything
        else genericClosure { startSet = filter keep start; operator = m: filter keep (children m); };
      graph = n: map (graphNode [ ]) (lib.lists.take n start);
    };

  # ----------------------------------------------------------------------------------
  # Definitions

  # Push properties down through an attribute-set definition at a non-option level.
  # Returns a list of attribute sets NAME -> { file; value; pos; }.
  # `wrap` is null or the function re-applying the properties removed so far.
  pushDown = loc: def: wrap: v:
    let
      t = if isAttrs v then v._type or null else null;
      wrap' = f: if wrap == null then f else (x: wrap (f x));
    in
    if t == "merge" then concatMap (pushDown loc def wrap) v.contents
    else if t == "if" then pushDown loc def (wrap' (mkIf v.condition)) v.content
    else if t == "override" then pushDown loc def (wrap' (mkOverride v.priority)) v.content
    else if t == "order" then
      throw "The option `${showOption loc}' is a set of options; mkOrder/mkBefore/mkAfter can only be used on the definition of a single option (a list or a string). Definition values:${showDefs [ (def // { value = v; }) ]}"
    else if isAttrs v && t == null then
      [ (if wrap == null
         then mapAttrs (n: x: { inherit (def) file; value = x; pos = unsafeGetAttrPos n v; }) v
         else mapAttrs (n: x: { inherit (def) file; value = wrap x; pos = unsafeGetAttrPos n v; }) v) ]
    else
      throw (if def.atRoot or false then
        # The root of a module's (or submodule's) definitions, worded as nixpkgs words it.
        "In module `${toString def.file}', you're trying to define a value of type `${typeOf v}'\nrather than an attribute set for the option\n`${builtins.concatStringsSep "." loc}'!\n\nThis usually happens if `${builtins.concatStringsSep "." loc}' has option definitions inside that are not matched. Definition values:${showDefs [ (def // { value = v; }) ]}"
      else "The option `${showOption loc}' is a set of options, but it is defined as a value that is not an attribute set. Definition values:${showDefs [ (def // { value = v; }) ]}");

  # Resolve a definition's properties into plain definitions with their priority and order.
  # The content of an override (mkDefault, mkForce, an option's default) is not looked at
  # here: it becomes a deferred entry whose priority is already known, and `selectPrio`
  # expands it only when that priority can win. So `default = throw "..."` is never
  # forced once the option is set, as with nixpkgs.
  #
  # The properties nest at an option as nixpkgs lets them: mkMerge and mkIf (and
  # mkDefinition) outermost, then one mkOverride, then one mkOrder. Anything inside
  # those is the value itself, so `mkForce (mkIf c x)`, `mkBefore (mkForce x)` or
  # `default = mkIf c x` are type errors here as on NixOS (not quietly accepted, to fail
  # only there). (At attribute-set levels mkIf and mkMerge do go inside mkOverride:
  # pushDown moves them down to the options.)
  peel = loc: def: prio: order: v:
    let
      t = if isAttrs v then v._type or null else null;
      outermost = prio == null && order == null;
    in
    if outermost && t == "merge" then concatMap (peel loc def prio order) v.contents
    else if outermost && t == "if" then
      (if v.condition == true then peel loc def prio order v.content
       else if v.condition == false then [ ]
       else throw "mkIf called with a non-Boolean condition (${typeOf v.condition}) in a definition of option `${showOption loc}':${showDefs [ def ]}")
    # mkDefinition: another file (and no position) for the definition; inside it, only
    # mkOverride and mkOrder.
    else if outermost && t == "definition" then
      peelDefinition loc (def // { file = v.file; pos = null; }) v.value
    else if outermost && t == "override" then
      [ { deferred = true; prio = v.priority; inherit def order; content = v.content; } ]
    else if order == null && t == "order" then peel loc def prio v.priority v.content
    else [
      (def // {
        value = v;
        prio = if prio == null then defaultOverridePriority else prio;
        order = if order == null then defaultOrderPriority else order;
        # Whether an mkOrder was taken off (a submodule refuses such a definition).
        ordered = order != null;
      })
    ];

  peelDefinition = loc: def: v:
    let t = if isAttrs v then v._type or null else null; in
    if t == "merge" || t == "if" || t == "definition" then
      [ (def // { value = v; prio = defaultOverridePriority; order = defaultOrderPriority; }) ]
    else peel loc def null null v;

  # Keep the entries of the highest priority (lowest number), expanding deferred ones only
  # at that priority; when they all vanish (mkIf false inside), the next priority wins.
  # highestPrio is the best priority written, found without looking into any content (as
  # nixpkgs does: reading it forces no definition's value).
  selectPrio = loc: entries: {
    highestPrio = foldl' (a: p: if p.prio < a then p.prio else a) 9999 entries;
    kept = keptAtBest loc entries;
  };

  keptAtBest = loc: entries:
    let
      best = foldl' (a: p: if p.prio < a then p.prio else a) 9999 entries;
      atBest = filter (p: p.prio == best) entries;
      expanded = concatMap
        (p: if p.deferred or false then peel loc p.def p.prio p.order p.content else [ p ])
        atBest;
    in
    if entries == [ ] then [ ]
    else if expanded == [ ] then keptAtBest loc (filter (p: p.prio != best) entries)
    else expanded;

  /* Merge the definitions of one option of type `type` at path `loc`.
     Returns { mergedValue, isDefined, optionalValue ({ value } or { }), defsFinal,
     defsFinal', highestPrio }.

     Type: mergeDefinitions :: [String] -> OptionType -> [{ file, value, pos? }] -> AttrSet

     Example:
       (mergeDefinitions [ "x" ] types.int [ { file = "a"; value = mkForce 1; } { file = "b"; value = 2; } ]).mergedValue
       => 1
  */
  mergeDefinitions = loc: type: defs:
    if all (d: !(isProperty d.value)) defs
    then mergeFinal loc type (if defs == [ ] then 9999 else defaultOverridePriority) defs
    else
      let
        inherit (selectPrio loc (concatMap (d: peel loc d null null d.value) defs)) highestPrio kept;
      in
      mergeFinal loc type highestPrio
        (if any (p: p.order != defaultOrderPriority) kept then sort (a: b: a.order < b.order) kept else kept);

  # Check and merge definitions that are already plain, filtered and ordered.
  # `checkedAndMerged` is the v2 result ({ headError; value; valueMeta; }, see types.nix):
  # the type's own for a type with a v2 merge, else built from the check and merge.
  # (Two functions, so that the common case allocates no more than it used to.)
  mergeFinal = loc: type: highestPrio: defsFinal:
    if type.merge ? v2 then mergeFinalV2 loc type highestPrio defsFinal
    else
      let
        isDefined = defsFinal != [ ];
        mergedValue =
          if !isDefined then emptyOrThrow loc type
          else if all (d: type.check d.value) defsFinal then type.merge loc defsFinal
          else
            let bad = filter (d: !(type.check d.value)) defsFinal; in
            throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs bad}${nestingHint bad}";
      in
      {
        inherit defsFinal isDefined mergedValue highestPrio;
        defsFinal' = { values = defsFinal; inherit highestPrio; };
        optionalValue = if isDefined then { value = mergedValue; } else { };
        checkedAndMerged = { headError = null; value = mergedValue; valueMeta = { }; };
      };

  # (The coherence check is inlined in the two functions below, which run for every
  # attrsOf, listOf and submodule, and so are the helpers: each curried argument is a
  # function call to Nix.)
  mergeFinalV2 = loc: type: highestPrio: defsFinal:
    let
      isDefined = defsFinal != [ ];
      r = if type.check.isV2MergeCoherent or false then type.merge.v2 { inherit loc; defs = defsFinal; }
        else checkV2MergeCoherence loc type null;
      mergedValue =
        if !isDefined then emptyOrThrow loc type
        else if r.headError or null != null then throw (v2Error loc type defsFinal r)
        else r.value;
    in
    {
      inherit defsFinal isDefined mergedValue highestPrio;
      defsFinal' = { values = defsFinal; inherit highestPrio; };
      optionalValue = if isDefined then { value = mergedValue; } else { };
      checkedAndMerged = { inherit (r) headError value; valueMeta = r.valueMeta // { _internal = { inherit type; }; }; };
    };

  # The merge of plain definitions (no property; defined) of a type with a v2 merge, for
  # the elements of attrsOf and listOf: mergeDefinitions' result without its bookkeeping.
  mergePlainV2 = loc: type: defs:
    let
      r = if type.check.isV2MergeCoherent or false then type.merge.v2 { inherit loc defs; }
        else checkV2MergeCoherence loc type null;
      mergedValue = if r.headError or null != null then throw (v2Error loc type defs r) else r.value;
    in
    {
      isDefined = true;
      inherit mergedValue;
      optionalValue = { value = mergedValue; };
      checkedAndMerged = { inherit (r) headError value; valueMeta = r.valueMeta // { _internal = { inherit type; }; }; };
    };

  # Its value alone (what the value of attrsOf and listOf needs; no record).
  mergePlainV2Value = loc: type: defs:
    let
      r = if type.check.isV2MergeCoherent or false then type.merge.v2 { inherit loc defs; }
        else checkV2MergeCoherence loc type null;
    in
    if r.headError or null != null then throw (v2Error loc type defs r) else r.value;

  v2Error = loc: type: defs: r:
    "A definition for option `${showOption loc}' is not of type `${type.description}'. TypeError: ${r.headError.message}${nestingHint defs}";

  # Not defined: the type's empty value where it has one ([] for lists, the defaults for
  # a submodule, ...), as nixpkgs does.
  emptyOrThrow = loc: type:
    if type.emptyValue ? value then type.emptyValue.value
    else throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";

  # Said after a type error whose value is a property left where NixOS takes it as the
  # value (see `peel`).
  nestingHint = defs:
    if any (d: isProperty d.value) defs then
      "\nThe value is a property (mkIf, mkMerge, mkOverride/mkDefault/mkForce, mkOrder/mkBefore/mkAfter) nested where the module system takes it as the value, on NixOS too: mkMerge and mkIf go outermost, then one mkOverride, then one mkOrder (write `mkIf c (mkForce x)', not `mkForce (mkIf c x)'; an option's default takes no mkIf or mkMerge)."
    else "";

  # A type with a v2 merge must have a check that says it agrees with that merge: a
  # check replaced by `type // { check = ...; }` would be silently ignored, as the v2
  # merge checks the definitions itself. Returns `result` when the check agrees.
  checkV2MergeCoherence = loc: type: result:
    if type.check.isV2MergeCoherent or false then result
    else throw ("The option `${showOption loc}' has a type `${type.description}' with an ad-hoc override of its check (`type // { check = ...; }'), which is incompatible with the v2 merge mechanism of this type: the override would be ignored.\n"
      + "Please use `lib.types.addCheck' instead of `// { check = ...; }': lib.types.addCheck TYPE (value: ...).");

  # ----------------------------------------------------------------------------------
  # Options

  # Combine the declarations of one option. Non-option declarations at the same path
  # (`options.a.b = mkOption ...` next to `options.a = mkOption { type = submodule ...; }`)
  # become extra modules of the option's submodule type.
  mergeOptionDecls = loc: decls:
    let d = head decls; in
    # The common case, one declaration, allocates almost nothing.
    if length decls == 1 && isOption d.value then
      { attrs = d.value; inherit decls; defaultDecl = d; type = d.value.type or lib.types.unspecified; }
    else mergeOptionDecls' loc decls;

  mergeOptionDecls' = loc: decls:
    let
      # As nixpkgs folds them: an attribute two declarations both give (other than the
      # clashing ones below and a mergeable type) comes from the one met first, and the
      # modules of the resulting submodule type are each declaration's in reverse
      # (each one's put before those met earlier).
      step = res: d:
        if !isOption d.value then
          res // {
            extra = true;
            subs = [ { _file = d.file; options = d.value; } ] ++ res.subs;
            decls = res.decls ++ [ d ];
          }
        else
          let
            o = d.value;
            both = k: o ? ${k} && res.attrs ? ${k};
            mergedType = if both "type" then res.attrs.type.typeMerge o.type.functor else null;
            clash = both "default" || both "example" || both "description" || both "apply"
              || (both "type" && mergedType == null);
            ownSubs = o.type.getSubModules or null;
          in
          if clash then
            # Files only, as nixpkgs prints them (tools match this text): the
            # declaration met last (in merge order) first.
            throw "The option `${showOption loc}' in `${toString d.file}' is already declared in ${showFiles (map (x: toString x.file) (filter (x: isOption x.value) res.decls))}."
          else res // {
            attrs = o // res.attrs // (if both "type" then { type = mergedType; } else { });
            decls = res.decls ++ [ d ];
            defaultDecl = if o ? default then d else res.defaultDecl;
            # Each wrapped with its declaration's file, as nixpkgs does: that puts them a
            # level deeper in the collection, and so in nixpkgs' order.
            subs = (if ownSubs == null then [ ] else map (m: { _file = d.file; imports = [ m ]; }) ownSubs) ++ res.subs;
          };
      res = foldl' step { attrs = { }; extra = false; subs = [ ]; decls = [ ]; defaultDecl = null; } decls;
      type0 = res.attrs.type or lib.types.unspecified;
    in
    {
      inherit (res) attrs decls defaultDecl;
      type =
        if type0.getSubModules or null != null then type0.substSubModules res.subs
        else if !res.extra then type0
        else
          let
            optionFiles = map (d: toString d.file) (filter (d: isOption d.value) res.decls);
            extras = filter (d: !isOption d.value) res.decls;
            nested = concatMap (e: map (n: "\n- option(s) with prefix `${showOption (loc ++ [ n ])}' in module `${toString e.file}'") (attrNames e.value)) extras;
          in
          throw "The option `${showOption loc}' in module ${showFiles optionFiles} would be a parent of the following options, but its type `${res.attrs.type.description or "<no description>"}' does not support nested options.${builtins.concatStringsSep "" nested}";
    };

  locOf = d: lib.options.showDefLocation d;

  declPos = d: if d.pos != null then d.pos else { inherit (d) file; line = null; column = null; };

  # The option default as a definition (priority 1500 unless it is plain and alone).
  defaultDefOf = md: {
    file = md.defaultDecl.file;
    pos = unsafeGetAttrPos "default" md.defaultDecl.value;
    value = mkOverride optionDefaultPriority md.attrs.default;
  };

  # Merge an option's definitions together with its default, taking the fast paths:
  # plain definitions always beat the default (100 < 1500); a plain default alone needs
  # no priority handling.
  mergeOptionDefs = loc: md: defs:
    if (md.attrs.readOnly or false) == true && length defs + (if md.attrs ? default then 1 else 0) > 1 then
      let all' = (if md.attrs ? default then [ (defaultDefOf md) ] else [ ]) ++ defs; in
      throw "The option `${showOption loc}' is read-only, but it's set multiple times. Definition values:${showDefs (map (d: d // { value = (mergeDefinitions loc md.type [ d ]).mergedValue; }) all')}"
    else if defs == [ ] then
      (if !(md.attrs ? default) then mergeFinal loc md.type 9999 [ ]
       else if isProperty md.attrs.default then mergeDefinitions loc md.type [ (defaultDefOf md) ]
       else mergeFinal loc md.type optionDefaultPriority [
         { file = md.defaultDecl.file; pos = unsafeGetAttrPos "default" md.defaultDecl.value; value = md.attrs.default; }
       ])
    else if all (d: !(isProperty (definitionValue loc d))) defs then mergeFinal loc md.type defaultOverridePriority defs
    else mergeDefinitions loc md.type (if md.attrs ? default then [ (defaultDefOf md) ] ++ defs else defs);

  # A definition's value, forced for the first time with its location in Nix's trace:
  # an infinite recursion between definitions (a node's option reading another node's,
  # which reads the first) then shows which definitions form the loop (nixmesh reads
  # these lines; the definition's value is otherwise unchanged).
  definitionValue = loc: d:
    addErrorContext "while evaluating the definition of `${showOption loc}' in `${locOf d}':" d.value;

  # where: the locations of the definitions of the submodule this option is part of
  # ([ ] at the top level), named in the message of a missing value: the place to set it.
  optionValue = where: loc: md: merged:
    let
      v =
        if merged.isDefined || md.type.emptyValue ? value then merged.mergedValue
        else throw ("The option `${showOption loc}' was accessed but has no value defined. Try setting the option"
          + (if where == [ ] then "." else " where `${showOption (lib.lists.init loc)}' is defined: ${showFiles where}.")
          + "\nIt is declared in ${showFiles (map locOf md.decls)}.");
    in
    if md.attrs ? apply && md.attrs.apply != null then md.attrs.apply v else v;

  # The option record: the declaration's attributes plus the merged value and the
  # introspection attributes (nixpkgs-compatible names).
  evalOption = where: loc: decls: defs:
    let
      md = mergeOptionDecls loc decls;
      merged = mergeOptionDefs loc md defs;
    in
    md.attrs // {
      _type = "option";
      inherit loc;
      inherit (md) type;
      declarations = map (d: d.file) md.decls;
      declarationPositions = map declPos md.decls;
      value = addErrorContext "while evaluating the option `${showOption loc}':" (optionValue where loc md merged);
      inherit (merged) isDefined highestPrio;
      inherit (merged.checkedAndMerged) valueMeta;
      definitions = map (d: d.value) merged.defsFinal;
      files = map (d: d.file) merged.defsFinal;
      # [{ file; value; pos; }], pos = { file; line; column; } or null (nixmesh extension)
      definitionsWithLocations = map (d: { inherit (d) file value; pos = d.pos or null; }) merged.defsFinal;
    };

  # One level of the option tree. `rel` is the path below the evaluation's prefix.
  # decls: [{ file; value = options set }]; defs: [{ file; pos; value }] (not pushed down).
  # Returns { options; config; unmatched = [{ file; pos; value; path }]; }.
  mergeLevel = where: prefix: rel: decls: defs:
    let
      loc = prefix ++ rel;
      declEntries = d:
        # A typed value where a declaration belongs: a bare type (mkOption forgotten),
        # a whole evaluation, ...
        if isAttrs d.value && d.value ? _type then
          throw ("In module ${toString d.file}: expected an option declaration at option path `${showOption loc}` but got an attribute set with type ${d.value._type}"
            + (if d.value._type == "option-type" then
                "\n\nWhen declaring an option, you must wrap the type in a `mkOption` call, e.g.\n    ${lib.strings.escapeNixIdentifier (last loc)} = lib.mkOption {\n      type = <the type you wrote>;\n      description = ...;\n    };"
               else ""))
        else if isAttrs d.value then mapAttrs (n: v: { inherit (d) file; value = v; pos = unsafeGetAttrPos n d.value; }) d.value
        else throw "The option declaration `${showOption loc}' in `${locOf d}' is neither an option (mkOption) nor an attribute set of options.";
      declsByName =
        if length decls == 1 then mapAttrs (n: e: [ e ]) (declEntries (head decls))
        else zipAttrsWith (n: vs: vs) (map declEntries decls);
      pushed = concatMap (d: pushDown loc (if rel == [ ] then d // { atRoot = true; } else d) null d.value) defs;
      defsByName =
        if pushed == [ ] then { }
        else if length pushed == 1 then mapAttrs (n: e: [ e ]) (head pushed)
        else zipAttrsWith (n: vs: vs) pushed;
      # Whether a name is an option is decided from the declarations alone, so checking
      # for unmatched definitions never forces an option record.
      children = mapAttrs
        (n: ds:
          if any (d: isOption d.value) ds
          then { isOption = true; option = evalOption where (loc ++ [ n ]) ds (defsByName.${n} or [ ]); }
          else { isOption = false; level = mergeLevel where prefix (rel ++ [ n ]) ds (defsByName.${n} or [ ]); })
        declsByName;
      undeclared = attrNames (removeAttrs defsByName (attrNames declsByName));
    in
    {
      options = mapAttrs (n: c: if c.isOption then c.option else c.level.options) children;
      config = mapAttrs (n: c: if c.isOption then c.option.value else c.level.config) children;
      unmatched =
        concatMap (n: map (d: d // { path = rel ++ [ n ]; }) defsByName.${n}) undeclared
        ++ concatMap (n: let c = children.${n}; in if c.isOption then [ ] else c.level.unmatched) (attrNames children);
    };

  unmatchedError = prefix: options: unmatched:
    let
      first = head unmatched;
      same = filter (d: d.path == first.path) unmatched;
      # An option in `config': the value, or one of its attributes (one level down;
      # tryEval so that a throwing value only loses the hint).
      optionLike = v: let r = builtins.tryEval (isOption v); in r.success && r.value;
      looksLikeOption = optionLike first.value
        || (let r = builtins.tryEval (isAttrs first.value); in r.success && r.value && any optionLike (attrValues first.value));
      hint =
        if looksLikeOption then
          "\n\nIt seems as if you're trying to declare an option by placing it into `config' rather than `options'!"
        else "";
      # Up to three declared siblings closest to the misspelt name (edit distance); in a
      # large set only those at most 2 edits away.
      parent = lib.lists.init first.path;
      name = last first.path;
      # Internal options are nobody's to set: never suggested.
      siblingOptions = lib.attrsets.attrByPath parent { } options;
      siblings = filter (n: let o = siblingOptions.${n}; in !(isOption o && (o.internal or false))) (attrNames siblingOptions);
      candidates = if parent == [ ] then filter (n: n != "_module") siblings else siblings;
      near = lib.lists.take 3 (lib.lists.sortOn (lib.strings.levenshtein name)
        (if length candidates < 100 then candidates else filter (lib.strings.levenshteinAtMost 2 name) candidates));
      quote = n: "`${showOption (prefix ++ parent ++ [ n ])}'";
      suggestion =
        if near == [ ] then ""
        else if length near == 1 then "\n\nDid you mean ${quote (head near)}?"
        else "\n\nDid you mean ${builtins.concatStringsSep ", " (map quote (lib.lists.init near))} or ${quote (last near)}?";
      definitions = addErrorContext "while evaluating the error message for definitions for `${showOption (prefix ++ first.path)}', which is an option that does not exist"
        (addErrorContext "while evaluating a definition from `${toString first.file}'" (showDefs same));
      # No options at all (`_module' is always there): the options were probably
      # written where definitions go.
      noOptions = attrNames options == [ "_module" ];
      base = "The option `${showOption (prefix ++ first.path)}' does not exist. Definition values:${definitions}";
    in
    if noOptions && prefix == [ ] then
      "${base}\n\nIt seems as if you're trying to declare an option by placing it into `config' rather than `options'!"
    else if noOptions then
      "${base}\n\nHowever there are no options defined in `${showOption prefix}'. Are you sure you've declared your options properly? This can happen if you e.g. declared your options in `types.submodule' under `config' rather than `options'."
    else "${base}${hint}${suggestion}";

  # The options every evaluation has; declared once and shared by all evaluations.
  internalOptions._module = {
    args = mkOption {
      type = lib.types.lazyAttrsOf lib.types.raw;
      internal = true;
      description = "Arguments given to every module function, in addition to lib, config, options and the special arguments.";
    };
    check = mkOption {
      type = lib.types.bool;
      internal = true;
      default = true;
      description = "Whether definitions of options that are not declared are an error.";
    };
    freeformType = mkOption {
      type = lib.types.nullOr lib.types.optionType;
      internal = true;
      default = null;
      description = "The type that merges all definitions without a declared option (the free-form part of the configuration).";
    };
    specialArgs = mkOption {
      type = lib.types.raw;
      readOnly = true;
      internal = true;
      description = "The specialArgs of this evaluation.";
    };
  };

  internalModule = { specialArgs, extendModules, moduleType }: {
    _file = "<nixmesh lib/modules.nix>";
    key = "<nixmesh lib/modules.nix>";
    options = internalOptions;
    config._module = {
      args = { inherit extendModules moduleType; };
      inherit specialArgs;
    };
  };

  /* Evaluate a list of modules.

     Type: evalModules :: { modules, specialArgs ? {}, prefix ? [], class ? null } ->
       { config, options, extendModules, _module, type, class }

     Example:
       (evalModules { modules = [ { options.x = mkOption { default = 1; }; } ]; }).config.x
       => 1
  */
  evalModules =
    evalArgs@{ modules
    , specialArgs ? { }
    , prefix ? [ ]
    , args ? { }
    , check ? true
    , class ? null
      # (nixmesh) Where the value being evaluated is defined, when it is a submodule's:
      # named by the message of an option of it that has no value.
    , definitionLocations ? [ ]
    }:
    let
      extendModules = extendArgs@{ modules ? [ ], specialArgs ? { }, prefix ? [ ] }:
        evalModules (evalArgs // {
          modules = evalArgs.modules ++ modules;
          specialArgs = (evalArgs.specialArgs or { }) // specialArgs;
          prefix = extendArgs.prefix or evalArgs.prefix or [ ];
        });
      moduleType = lib.types.submoduleWith { inherit (evalArgs) modules; inherit specialArgs class; };

      # After the given modules, in nixpkgs' order (its legacy `args`/`check`, then the
      # module of `_module.*`).
      extraModules =
        (if args != { } then [ { _file = "<evalModules args>"; config._module.args = args; } ] else [ ])
        ++ (if !check then [ { _file = "<evalModules check>"; config._module.check = mkOverride 1000 false; } ] else [ ])
        ++ [ (internalModule { inherit specialArgs extendModules moduleType; }) ];

      # The modules get `config` with a hint for the commonest cause of a recursion while
      # the modules are collected: their imports depending on the configuration. (Only
      # an error while `config` itself is computed carries it.)
      ctx = {
        base = { lib = publicLib; inherit options specialArgs; config = addErrorContext importsHint config; _prefix = prefix; _class = class; } // specialArgs;
        config = addErrorContext importsHint declared;
        modulesPath = specialArgs.modulesPath or null;
        inherit class;
      };

      collection = collectModules ctx (modules ++ extraModules);
      collected = collection.modules;

      # Merged in the reverse of the collection's order, as nixpkgs merges them: the
      # definitions of a list option come imports-of-imports first, the modules given
      # last before those given first (`[ A B ]`, A importing A1: A1's, B's, A's).
      # Lists, `lines` and the order of declarations and definitions in messages are
      # then the ones NixOS gives.
      mergeOrder = lib.lists.reverseList collected;
      merged = mergeLevel definitionLocations prefix [ ]
        (map (m: { inherit (m) file; value = m.options; }) mergeOrder)
        (map (m: { inherit (m) file; pos = null; value = m.config; }) mergeOrder);

      options = merged.options;
      declared = merged.config;
      freeformType = declared._module.freeformType;

      config =
        if freeformType == null then declared
        else
          let
            # Positions: attribute sets built here have none, so the merge of the
            # free-form type asks `childPos` for the definition's own position.
            defs = map
              (d: {
                inherit (d) file pos;
                value = setAttrByPath d.path d.value;
                childPos = _: if length d.path == 1 then d.pos else null;
              })
              merged.unmatched;
          in
          if defs == [ ] then declared else recUpdate (freeformType.merge prefix defs) declared;

      checkUnmatched =
        if declared._module.check && freeformType == null && merged.unmatched != [ ]
        then throw (unmatchedError prefix options merged.unmatched)
        else null;
      # The class is forced: a type merge that found two classes throws here.
      checked = v: builtins.seq class (builtins.seq checkUnmatched v);
    in
    {
      _type = "configuration";
      inherit options extendModules class;
      # How the given modules import each other (see collectModules).
      graph = collection.graph (length modules);
      config = checked (removeAttrs config [ "_module" ]);
      _module = checked config._module;
      type = moduleType;
    };

  # ----------------------------------------------------------------------------------
  # Renaming options

  getAttrFromPath = path: set:
    attrByPath path (throw "cannot find attribute `${showOption path}'") set;

  mkAliasIfDef = option: mkIf (isOption option && option.isDefined);
  mkAliasAndWrapDefinitions = wrap: option: mkAliasIfDef option (wrap (mkMerge option.definitions));
  mkAliasAndWrapDefsWithPriority = wrap: option:
    let prio = option.highestPrio or defaultOverridePriority; in
    mkAliasIfDef option (wrap (mkMerge (map (mkOverride prio) option.definitions)));

  # condition: whether the definitions go to `to` at all (false: `to` gets none, so an
  # attrsOf-of-submodules entry on the way is not created).
  doRename = { from, to, visible, warn, use, withPriority ? true, condition ? true }:
    { config, options, ... }:
    let
      fromOpt = getAttrFromPath from options;
      toOf = attrByPath to (throw "Renaming error: option `${showOption to}' does not exist.");
      toType = let o = attrByPath to { } options; in o.type or lib.types.anything;
    in
    {
      options = setAttrByPath from (mkOption {
        inherit visible;
        description = "Alias of {option}`${showOption to}`.";
        apply = x: use (toOf config);
        type = toType;
      });
      config = mkMerge [
        (if warn && options ? warnings then {
          warnings = if fromOpt.isDefined then [ "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'." ] else [ ];
        } else { })
        (mkIf condition (setAttrByPath to ((if withPriority then mkAliasAndWrapDefsWithPriority else mkAliasAndWrapDefinitions) (x: x) fromOpt)))
      ];
    };

  /* Apply `f` to the value(s) a definition defines, keeping every property around them
     (mkIf, mkMerge, mkOverride, mkOrder, mkDefinition).

     Type: mapDefinitionValue :: (a -> b) -> Definition -> Definition

     Example: mapDefinitionValue toString (mkForce 3) => mkForce "3" */
  mapDefinitionValue = f: def:
    let t = if isAttrs def then def._type or null else null; in
    if t == "merge" then def // { contents = map (mapDefinitionValue f) def.contents; }
    else if t == "if" || t == "override" || t == "order" then def // { content = mapDefinitionValue f def.content; }
    else if t == "definition" then def // { value = mapDefinitionValue f def.value; }
    else f def;
in
{
  inherit evalModules mergeDefinitions checkV2MergeCoherence mergePlainV2 mergePlainV2Value mapDefinitionValue;
  inherit mkIf mkMerge mkOverride mkOrder;
  inherit defaultOverridePriority defaultOrderPriority;
  defaultPriority = defaultOverridePriority;

  /* Priority 1500, the priority of option defaults. Type: a -> Definition.
     Example: mkOptionDefault 1 */
  mkOptionDefault = mkOverride optionDefaultPriority;

  /* A definition that says where it comes from: `file` replaces the module's file in
     messages. `value` may use mkOverride/mkOrder; mkIf and mkMerge go around it.

     Type: mkDefinition :: { file, value } -> Definition

     Example: mkDefinition { file = "generated.nix"; value = 42; } */
  mkDefinition = args@{ file, value, ... }: args // { _type = "definition"; };

  /* Priority 1000: loses against plain definitions (100). Type: a -> Definition.
     Example: mkDefault "x" */
  mkDefault = mkOverride 1000;
  /* Priority 60. */
  mkImageMediaOverride = mkOverride 60;
  /* Priority 50: wins against plain definitions. Type: a -> Definition.
     Example: mkForce [ ] */
  mkForce = mkOverride 50;
  /* Priority 10. */
  mkVMOverride = mkOverride 10;
  /* Order 500: placed before default-ordered definitions in lists/strings.
     Type: a -> Definition. Example: mkBefore [ "first" ] */
  mkBefore = mkOrder 500;
  /* Order 1500: placed after default-ordered definitions.
     Type: a -> Definition. Example: mkAfter "\n# last line" */
  mkAfter = mkOrder 1500;
  mkFixStrictness = x: x;

  /* Wrap a module so definitions without a file get `file`.
     Type: setDefaultModuleLocation :: String -> Module -> Module */
  setDefaultModuleLocation = file: m: { _file = file; imports = [ m ]; };

  /* Import a file that is a function of `staticArg` returning a module, and give the
     module the file's name as its location. (No key: the same file applied to other
     arguments is another module.)

     Type: importApply :: Path -> a -> Module

     Example: imports = [ (importApply ./service.nix { port = 8080; }) ]; */
  importApply = modulePath: staticArg: lib.modules.setDefaultModuleLocation modulePath (import modulePath staticArg);

  /* The definitions of an attrsOf/lazyAttrsOf option merged attribute by attribute,
     each with the priority that won: { <name> = { value; highestPrio; }; }. Lazy: an
     attribute's value is merged only when read.

     Type: mergeAttrDefinitionsWithPrio :: Option -> AttrSet

     Example: (mergeAttrDefinitionsWithPrio options._module.args).pkgs.highestPrio */
  mergeAttrDefinitionsWithPrio = opt:
    let
      elemType = opt.type.nestedTypes.elemType;
      # Every definition's attributes, each as a definition of its own.
      perAttr = concatMap (d: pushDown opt.loc { inherit (d) file; } null d.value) opt.definitionsWithLocations;
    in
    assert builtins.elem opt.type.name [ "attrsOf" "lazyAttrsOf" ];
    builtins.zipAttrsWith
      (k: defs:
        let merged = mergeDefinitions (opt.loc ++ [ k ]) elemType defs; in
        { value = merged.mergedValue; inherit (merged) highestPrio; })
      perAttr;

  /* nixpkgs-compatible pushDownProperties: a definition's properties moved onto its
     attributes. Type: pushDownProperties :: Any -> [AttrSet] */
  pushDownProperties = cfg:
    map (mapAttrs (_: d: d.value)) (pushDown [ ] { file = "<unknown-file>"; } null cfg);

  /* nixpkgs-compatible dischargeProperties: resolve mkMerge/mkIf into a list of values
     (overrides and orders are kept). */
  dischargeProperties = def:
    let t = if isAttrs def then def._type or null else null; in
    if t == "merge" then concatMap lib.modules.dischargeProperties def.contents
    else if t == "if" then
      (if isBool def.condition then (if def.condition then lib.modules.dischargeProperties def.content else [ ])
       else throw "mkIf called with a non-Boolean condition")
    else [ def ];

  /* Keep the definitions with the best (lowest) priority and strip the override. */
  filterOverrides = defs: (lib.modules.filterOverrides' defs).values;
  filterOverrides' = defs:
    let
      prio = d: if (d.value._type or null) == "override" then d.value.priority else defaultOverridePriority;
      best = foldl' (a: d: let p = prio d; in if p < a then p else a) 9999 defs;
    in
    {
      highestPrio = best;
      values = map (d: if (d.value._type or null) == "override" then d // { value = d.value.content; } else d)
        (filter (d: prio d == best) defs);
    };

  /* Sort definitions by their mkOrder priority (stable) and strip the order. */
  sortProperties = defs:
    let
      strip = d: if (d.value._type or null) == "order" then d // { value = d.value.content; priority = d.value.priority; } else d // { priority = defaultOrderPriority; };
    in
    map (d: removeAttrs d [ "priority" ]) (sort (a: b: a.priority < b.priority) (map strip defs));

  inherit mkAliasIfDef mkAliasAndWrapDefinitions mkAliasAndWrapDefsWithPriority doRename;
  mkAliasDefinitions = mkAliasAndWrapDefinitions (x: x);

  /* Make `from` an alias of `to` (no warning, visible).
     Type: mkAliasOptionModule :: [String] -> [String] -> Module
     Example: mkAliasOptionModule [ "host" ] [ "target" "host" ] */
  mkAliasOptionModule = from: to: doRename { inherit from to; visible = true; warn = false; use = x: x; };

  /* Rename an option: `from` becomes a hidden alias of `to` (a warning when `warnings`
     exists, and a trace when used).
     Type: mkRenamedOptionModule :: [String] -> [String] -> Module */
  mkRenamedOptionModule = from: to: doRename {
    inherit from to;
    visible = false;
    warn = true;
    use = builtins.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
  };

  /* A rename made in release `sinceRelease` (e.g. 2411): a hidden alias, with the
     obsolescence warning only once that release is the oldest supported one.
     Type: mkRenamedOptionModuleWith :: { from; to; sinceRelease; } -> Module */
  mkRenamedOptionModuleWith = { from, to, sinceRelease }:
    let late = lib.trivial.oldestSupportedReleaseIsAtLeast sinceRelease; in
    doRename {
      inherit from to;
      visible = false;
      warn = late;
      use = lib.trivial.warnIf late "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
    };

  # A JSON or TOML file as a module: its content is the configuration (lib.modules'
  # own importJSON/importTOML; the top-level ones return the parsed value).
  # Example: imports = [ (lib.modules.importJSON ./settings.json) ];
  importJSON = file: { _file = file; config = lib.trivial.importJSON file; };
  importTOML = file: { _file = file; config = lib.trivial.importTOML file; };

  # nixpkgs' deprecated name of mkAliasOptionModule (it warns when used).
  mkAliasOptionModuleMD = lib.trivial.warn "mkAliasOptionModuleMD is deprecated and will be removed in 26.05; please use mkAliasOptionModule." lib.modules.mkAliasOptionModule;

  /* Define `content` only if `assertion` holds, else fail with the message.
     Type: mkAssert :: bool -> string -> a -> a */
  mkAssert = assertion: message: content:
    mkIf (if assertion then true else builtins.throw "\nFailed assertion: ${message}") content;

  /* Replace several options by one: `from` (a list of paths) become hidden options;
     when any of them is defined, `to` is defined as `mergeFn config`.
     Type: mkMergedOptionModule :: [[String]] -> [String] -> (AttrSet -> a) -> Module
     Example: mkMergedOptionModule [ [ "a" ] [ "b" ] ] [ "ab" ] (config: "${config.a}-${config.b}") */
  mkMergedOptionModule = from: to: mergeFn: { config, options, ... }:
    let anyDefined = any (p: (getAttrFromPath p options).isDefined) from; in
    {
      options = foldl' recUpdate { } (map
        (p: setAttrByPath p (mkOption {
          visible = false;
          description = "Obsolete; merged into {option}`${showOption to}`.";
        }))
        from);
      config = mkMerge [
        (if options ? warnings then {
          warnings = if anyDefined then [ "The options ${builtins.concatStringsSep ", " (map (p: "`${showOption p}'") from)} are obsolete; use `${showOption to}' instead." ] else [ ];
        } else { })
        (setAttrByPath to (mkIf anyDefined (mergeFn config)))
      ];
    };

  /* Replace an option by another whose value is computed from the old one's config.
     Type: mkChangedOptionModule :: [String] -> [String] -> (AttrSet -> a) -> Module */
  mkChangedOptionModule = from: to: changeFn: lib.modules.mkMergedOptionModule [ from ] to changeFn;

  /* A definition derived from another option's value, with that option's priority.
     Type: mkDerivedConfig :: Option -> (a -> b) -> Definition
     Example: text = mkDerivedConfig options.source (p: builtins.readFile p); */
  mkDerivedConfig = opt: f: mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

  /* Remove an option: any definition of it is an error with `replacementInstructions`.
     Type: mkRemovedOptionModule :: [String] -> String -> Module */
  mkRemovedOptionModule = optionName: replacementInstructions: { options, ... }:
    let
      msg = "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      checkType = lib.types.mkOptionType {
        name = "removed";
        description = "removed option";
        check = _: throw msg;
        merge = _: _: throw msg;
      };
    in
    {
      options = setAttrByPath optionName (mkOption {
        visible = false;
        type = checkType;
        description = "The option has been removed. ${replacementInstructions}";
        # Undefined: reads as null (so whole-config dumps work); defined: the error.
        apply = _: if (getAttrFromPath optionName options).isDefined then throw msg else null;
      });
      config =
        if options ? assertions then {
          assertions = [{ assertion = !(getAttrFromPath optionName options).isDefined; message = msg; }];
        } else { };
    };
}
