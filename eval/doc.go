// Package eval owns running Nix for evaluation and builds: it reads a deployment's
// `plan` in one `nix-instantiate --eval` into a typed Network, instantiates the selected
// nodes' systems in one `nix-instantiate` call, realises them in parallel with a bound,
// and turns Nix's stderr into Diagnostics that name the option path and file:line:col.
// It selects nodes by name, @tag and glob. It must not import deploy (nor crossmodules):
// data flows from here to them, never back.
package eval
