package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

// SynthResource is one declared resource as synth prints it.
type SynthResource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
	// Provider is the provider URN of a custom resource.
	Provider string `json:"provider"`
	// Providers are the providers handed to a component, by package.
	Providers map[string]string `json:"providers,omitempty"`
	Protect   bool              `json:"protect"`
	// RetainOnDelete keeps the cloud resource when its stack deletes it.
	RetainOnDelete bool           `json:"retainOnDelete,omitempty"`
	Dependencies   []string       `json:"dependencies,omitempty"`
	Inputs         map[string]any `json:"inputs"`
}

// SynthDocument is what one cluster declares.
type SynthDocument struct {
	Cluster string `json:"cluster"`
	Role    string `json:"role"`
	// Account says what the cluster's stack does for its AWS account.
	Account   SynthAccount    `json:"account"`
	Resources []SynthResource `json:"resources"`
}

// SynthAccount is the account-level part of a cluster's program.
type SynthAccount struct {
	ID string `json:"id"`
	// SpotServiceLinkedRole: "created by this stack", "created by <cluster>"
	// or "exists in the account".
	SpotServiceLinkedRole string `json:"spotServiceLinkedRole"`
}

// Synth runs the cluster's program under the mock engine and returns every
// resource it declares, sorted by URN, secrets replaced by "[secret]".
func Synth(c *environments.Cluster) (*SynthDocument, error) {
	e := mockengine.New(c.Name)
	if err := e.Run(Cluster(c)); err != nil {
		return nil, fmt.Errorf("synthesizing %s: %w", c.Name, err)
	}
	doc := &SynthDocument{Cluster: c.Name, Role: c.Role, Account: SynthAccount{ID: c.AccountID, SpotServiceLinkedRole: c.SpotRole()}}
	for _, r := range e.Resources() {
		doc.Resources = append(doc.Resources, SynthResource{
			URN:            r.URN,
			Type:           r.Type,
			Name:           r.Name,
			Parent:         r.Parent,
			Provider:       r.Provider,
			Providers:      r.Providers,
			Protect:        r.Protect,
			RetainOnDelete: r.RetainOnDelete,
			Dependencies:   r.DependsOn,
			Inputs:         mockengine.PlainMap(r.Inputs),
		})
	}
	return doc, nil
}

// JSON renders the document with two-space indentation and a final newline;
// the same cluster always renders to the same bytes.
func (d *SynthDocument) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SynthEach synthesizes the clusters in parallel (one per CPU) and hands
// each document to use with its cluster's index; the first error stops it.
func SynthEach(clusters []*environments.Cluster, use func(i int, doc *SynthDocument) error) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, c := range clusters {
		g.Go(func() error {
			doc, err := Synth(c)
			if err != nil {
				return err
			}
			return use(i, doc)
		})
	}
	return g.Wait()
}
