package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/nixmesh/nixmesh/internal/natural"
)

// PlanVersion is the version of the plan value this package understands
// (docs/internals.md, "plan (version 1)").
const PlanVersion = 1

// Network is the evaluated deployment: every node (enabled or not) with its connection
// settings and configuration, and the network-level declarations of the cross-host modules.
type Network struct {
	Version int              `json:"version"`
	Nodes   map[string]*Node `json:"nodes"`
	// Network holds each cross-host module's network-level declarations under its own key
	// ("ssh", "vpn", "dns", ...), undecoded: crossmodules owns their shapes.
	Network map[string]json.RawMessage `json:"network"`
	// IndexCost is what evaluating the index cost (Index sets it): the measure of the
	// network level that every evaluation worker spends (WorkerLimits.Network).
	IndexCost NetworkCost `json:"-"`
}

// Names returns every node's name, in natural order (host2 before host10).
func (n *Network) Names() []string {
	names := make([]string, 0, len(n.Nodes))
	for name := range n.Nodes {
		names = append(names, name)
	}
	natural.Sort(names)
	return names
}

// EnabledNames returns the names of the enabled nodes, in natural order.
func (n *Network) EnabledNames() []string {
	var names []string
	for _, name := range n.Names() {
		if n.Nodes[name].Enable {
			names = append(names, name)
		}
	}
	return names
}

// Tags returns every tag used by any node, sorted.
func (n *Network) Tags() []string {
	seen := map[string]bool{}
	var tags []string
	for _, node := range n.Nodes {
		for _, t := range node.Tags {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// Node is one host of the plan: how to reach it and what it should run.
type Node struct {
	Name   string
	Enable bool
	Kind   string // "standalone" or "nixos"
	// Host is the SSH target as written ("root@198.18.0.12"); User, Hostname and Port are
	// its parts. User is "" when Host names no user.
	Host       string
	User       string
	Hostname   string
	Port       int
	SSHOptions []string
	// PrivilegeEscalationCommand prefixes remote commands when User is not root.
	PrivilegeEscalationCommand []string
	Tags                       []string
	// SuccessTimeout is how long the host's switcher waits for the confirmation;
	// SwitchTimeout bounds its activation.
	SuccessTimeout time.Duration
	SwitchTimeout  time.Duration
	// KeepGenerations is how many system generations and switch logs the host keeps.
	KeepGenerations int
	// IgnoreFailingSystemdUnits accepts an activation that exits with 4 (units failed).
	IgnoreFailingSystemdUnits bool
	// SubstituteOnTarget lets the host fetch what its substituters have before the copy.
	SubstituteOnTarget bool
	// RebootIfUnreachable: after a rollback that no new connection confirms, the host
	// reboots into its boot default.
	RebootIfUnreachable bool
	// BuildOnTarget: the host builds its system from the copied derivations.
	BuildOnTarget bool
	// HealthChecks gate the host's confirmation (modules/health.nix).
	HealthChecks  []HealthCheck
	Configuration Configuration
	// NotApplied lists the options the node sets that its kind of host does not apply
	// (standalone hosts: everything outside their schema), e.g. "services.nginx".
	NotApplied []string
	// Where names where the deployment defines the node's "sshOptions", its
	// "configuration", its host's "hostName", and each not-applied option
	// ("configuration.<path>"), as FILE:LINE or FILE lists, for messages about them.
	Where map[string][]string
	// Platform is the Nix platform the node's system runs on ("aarch64-linux"): NixOS
	// nodes' (pkgs.stdenv.hostPlatform); "" where unknown or any (standalone systems
	// hold scripts and files only).
	Platform string
}

// connectionJSON is a node's plan entry without its configuration: timeouts in
// seconds, user null when absent. nodeJSON adds the configuration.
type connectionJSON struct {
	Name                       string        `json:"name"`
	Enable                     bool          `json:"enable"`
	Kind                       string        `json:"kind"`
	Host                       string        `json:"host"`
	User                       *string       `json:"user"`
	Hostname                   string        `json:"hostname"`
	Port                       int           `json:"port"`
	SSHOptions                 []string      `json:"sshOptions"`
	PrivilegeEscalationCommand []string      `json:"privilegeEscalationCommand"`
	Tags                       []string      `json:"tags"`
	SuccessTimeout             float64       `json:"successTimeout"`
	SwitchTimeout              float64       `json:"switchTimeout"`
	KeepGenerations            int           `json:"keepGenerations,omitempty"`
	IgnoreFailingSystemdUnits  bool          `json:"ignoreFailingSystemdUnits,omitempty"`
	SubstituteOnTarget         bool          `json:"substituteOnTarget,omitempty"`
	RebootIfUnreachable        bool          `json:"rebootIfUnreachable,omitempty"`
	BuildOnTarget              bool          `json:"buildOnTarget,omitempty"`
	HealthChecks               []HealthCheck `json:"healthChecks,omitempty"`
}

// HealthCheck is one of plan.nodes.<n>.healthChecks: a command run on the host, or a TCP
// or HTTP check run from the deploying machine; timeouts and intervals in seconds.
type HealthCheck struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`              // "command", "tcp" or "http"
	Command string  `json:"command,omitempty"` // command: a shell line, run as root
	Feature *string `json:"feature,omitempty"` // command: the feature that added it (vpn, dns, ssh)
	// Where is where a command check is defined (FILE:LINE or FILE), for messages.
	Where    []string `json:"where,omitempty"`
	Host     *string  `json:"host,omitempty"`   // tcp: null for the node's address
	Port     int      `json:"port,omitempty"`   // tcp
	URL      string   `json:"url,omitempty"`    // http
	Status   int      `json:"status,omitempty"` // http: the status wanted
	Timeout  float64  `json:"timeout"`
	Retries  int      `json:"retries"`
	Interval float64  `json:"interval"`
}

// nodeJSON is Node as it appears in the plan.
type nodeJSON struct {
	connectionJSON
	Configuration Configuration       `json:"configuration"`
	NotApplied    []string            `json:"notApplied"`
	Where         map[string][]string `json:"where,omitempty"`
	Platform      string              `json:"platform,omitempty"`
}

// UnmarshalJSON reads a node in the plan's shape.
func (n *Node) UnmarshalJSON(b []byte) error {
	j := nodeJSON{connectionJSON: connectionJSON{Port: 22}}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*n = Node{
		Name:                       j.Name,
		Enable:                     j.Enable,
		Kind:                       j.Kind,
		Host:                       j.Host,
		Hostname:                   j.Hostname,
		Port:                       j.Port,
		SSHOptions:                 j.SSHOptions,
		PrivilegeEscalationCommand: j.PrivilegeEscalationCommand,
		Tags:                       j.Tags,
		SuccessTimeout:             seconds(j.SuccessTimeout),
		SwitchTimeout:              seconds(j.SwitchTimeout),
		KeepGenerations:            j.KeepGenerations,
		HealthChecks:               j.HealthChecks,
		IgnoreFailingSystemdUnits:  j.IgnoreFailingSystemdUnits,
		SubstituteOnTarget:         j.SubstituteOnTarget,
		RebootIfUnreachable:        j.RebootIfUnreachable,
		BuildOnTarget:              j.BuildOnTarget,
		Configuration:              j.Configuration,
		NotApplied:                 j.NotApplied,
		Where:                      j.Where,
		Platform:                   j.Platform,
	}
	if j.User != nil {
		n.User = *j.User
	}
	return nil
}

// MarshalJSON writes the node in the plan's shape, so a decoded node round-trips.
func (n *Node) MarshalJSON() ([]byte, error) {
	return json.Marshal(nodeJSON{connectionJSON: n.connectionJSON(), Configuration: n.Configuration, NotApplied: nonNil(n.NotApplied), Where: n.Where, Platform: n.Platform})
}

// Connection returns the node's plan entry without its configuration (the "connection"
// part shown by `nixmesh eval`).
func (n *Node) Connection() any {
	return n.connectionJSON()
}

func (n *Node) connectionJSON() connectionJSON {
	j := connectionJSON{
		Name:                       n.Name,
		Enable:                     n.Enable,
		Kind:                       n.Kind,
		Host:                       n.Host,
		Hostname:                   n.Hostname,
		Port:                       n.Port,
		SSHOptions:                 nonNil(n.SSHOptions),
		PrivilegeEscalationCommand: nonNil(n.PrivilegeEscalationCommand),
		Tags:                       nonNil(n.Tags),
		SuccessTimeout:             n.SuccessTimeout.Seconds(),
		SwitchTimeout:              n.SwitchTimeout.Seconds(),
		KeepGenerations:            n.KeepGenerations,
		HealthChecks:               n.HealthChecks,
		IgnoreFailingSystemdUnits:  n.IgnoreFailingSystemdUnits,
		SubstituteOnTarget:         n.SubstituteOnTarget,
		RebootIfUnreachable:        n.RebootIfUnreachable,
		BuildOnTarget:              n.BuildOnTarget,
	}
	if n.User != "" {
		u := n.User
		j.User = &u
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

// Configuration is a typed view of the parts of a host's configuration that the
// cross-host features set (NIXOS-SUBSET.md), with NixOS's option names. Raw keeps the
// whole configuration as the plan has it, for everything the view leaves out.
type Configuration struct {
	Networking  Networking  `json:"networking"`
	Users       Users       `json:"users"`
	Programs    Programs    `json:"programs"`
	Services    Services    `json:"services"`
	Environment Environment `json:"environment"`
	System      System      `json:"system"`
	Raw         json.RawMessage
}

// UnmarshalJSON decodes the typed view and keeps the raw JSON.
func (c *Configuration) UnmarshalJSON(b []byte) error {
	type view Configuration // without this method
	var v view
	if !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
	}
	*c = Configuration(v)
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the raw configuration (the typed view is a subset of it).
func (c Configuration) MarshalJSON() ([]byte, error) {
	if len(c.Raw) == 0 {
		return []byte("{}"), nil
	}
	return c.Raw, nil
}

// Networking is `networking.*`.
type Networking struct {
	HostName  string              `json:"hostName"`
	Hosts     map[string][]string `json:"hosts"`
	Firewall  Firewall            `json:"firewall"`
	Wireguard Wireguard           `json:"wireguard"`
}

// Firewall is `networking.firewall.*`.
type Firewall struct {
	AllowedTCPPorts   []int    `json:"allowedTCPPorts"`
	AllowedUDPPorts   []int    `json:"allowedUDPPorts"`
	TrustedInterfaces []string `json:"trustedInterfaces"`
}

// Wireguard is `networking.wireguard.*`.
type Wireguard struct {
	Interfaces map[string]WireguardInterface `json:"interfaces"`
}

// WireguardInterface is `networking.wireguard.interfaces.<name>`.
type WireguardInterface struct {
	IPs            []string        `json:"ips"`
	ListenPort     *int            `json:"listenPort"`
	PrivateKeyFile *string         `json:"privateKeyFile"`
	Peers          []WireguardPeer `json:"peers"`
}

// WireguardPeer is one entry of `networking.wireguard.interfaces.<name>.peers`.
type WireguardPeer struct {
	PublicKey           string   `json:"publicKey"`
	AllowedIPs          []string `json:"allowedIPs"`
	Endpoint            *string  `json:"endpoint"`
	PersistentKeepalive *int     `json:"persistentKeepalive"`
	PresharedKeyFile    *string  `json:"presharedKeyFile"`
}

// Users is `users.*`.
type Users struct {
	Users map[string]User `json:"users"`
}

// User is `users.users.<name>`.
type User struct {
	IsNormalUser bool    `json:"isNormalUser"`
	IsSystemUser bool    `json:"isSystemUser"`
	UID          *int    `json:"uid"`
	Group        string  `json:"group"`
	Home         string  `json:"home"`
	CreateHome   bool    `json:"createHome"`
	OpenSSH      OpenSSH `json:"openssh"`
}

// OpenSSH is `users.users.<name>.openssh`.
type OpenSSH struct {
	AuthorizedKeys struct {
		Keys []string `json:"keys"`
	} `json:"authorizedKeys"`
}

// Programs is `programs.*`.
type Programs struct {
	SSH struct {
		KnownHosts map[string]KnownHost `json:"knownHosts"`
	} `json:"ssh"`
}

// KnownHost is `programs.ssh.knownHosts.<name>`.
type KnownHost struct {
	HostNames      []string `json:"hostNames"`
	ExtraHostNames []string `json:"extraHostNames"`
	PublicKey      *string  `json:"publicKey"`
}

// Services is `services.*` (only nsd is typed).
type Services struct {
	NSD NSD `json:"nsd"`
}

// NSD is `services.nsd.*`.
type NSD struct {
	Enable     bool               `json:"enable"`
	Interfaces []string           `json:"interfaces"`
	Zones      map[string]NSDZone `json:"zones"`
}

// NSDZone is `services.nsd.zones.<name>`.
type NSDZone struct {
	Data string `json:"data"`
}

// Environment is `environment.*`.
type Environment struct {
	Etc map[string]EtcFile `json:"etc"`
}

// EtcFile is `environment.etc.<path>`.
type EtcFile struct {
	Text   *string `json:"text"`
	Source *string `json:"source"`
	Mode   string  `json:"mode"`
	User   string  `json:"user"`
	Group  string  `json:"group"`
}

// System is `system.*` (only the activation snippets are typed).
type System struct {
	ActivationScripts map[string]ActivationScript `json:"activationScripts"`
}

// ActivationScript is `system.activationScripts.<name>`: a string, or { text, deps }.
type ActivationScript struct {
	Text string   `json:"text"`
	Deps []string `json:"deps"`
}

// UnmarshalJSON takes either form.
func (a *ActivationScript) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &a.Text); err == nil {
		return nil
	}
	type object ActivationScript // without this method
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*a = ActivationScript(o)
	return nil
}

// DecodePlan decodes the JSON of a deployment's `plan`. It rejects a plan of another
// version, naming both, before looking at the rest.
func DecodePlan(b []byte) (*Network, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("plan is not a JSON object: %w", err)
	}
	if head.Version == nil {
		return nil, &PlanVersionError{Got: -1}
	}
	if *head.Version != PlanVersion {
		return nil, &PlanVersionError{Got: *head.Version}
	}
	var raw struct {
		Nodes   map[string]json.RawMessage `json:"nodes"`
		Network map[string]json.RawMessage `json:"network"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	net := &Network{Version: *head.Version, Nodes: map[string]*Node{}, Network: raw.Network}
	if net.Network == nil {
		net.Network = map[string]json.RawMessage{}
	}
	for name, nb := range raw.Nodes {
		var n Node
		if err := json.Unmarshal(nb, &n); err != nil {
			return nil, fmt.Errorf("plan: node %q: %w", name, err)
		}
		if n.Name == "" {
			n.Name = name
		}
		net.Nodes[name] = &n
	}
	return net, nil
}

// PlanVersionError is a plan this version of nixmesh cannot read.
type PlanVersionError struct {
	Got int // -1 when the plan has no version
}

func (e *PlanVersionError) Error() string {
	if e.Got < 0 {
		return fmt.Sprintf("the deployment's plan has no version (this nixmesh reads version %d); is the file a nixmesh deployment?", PlanVersion)
	}
	return fmt.Sprintf("the deployment's plan has version %d, but this nixmesh reads version %d; use a nixmesh and nix-modules of the same release", e.Got, PlanVersion)
}
