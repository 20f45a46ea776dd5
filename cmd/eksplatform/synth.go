package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks"
)

type synthOptions struct {
	out      string
	roles    []string
	clusters []string
}

func newSynthCommand(g *globalOptions) *cobra.Command {
	o := &synthOptions{}
	cmd := &cobra.Command{
		Use:   "synth --out DIR",
		Short: "Write what every selected cluster declares, without an AWS account",
		Long: `Synth runs each selected cluster's Pulumi program under the mock engine and
writes DIR/<cluster>.json: every resource with its type, name, parent,
provider, protection and inputs, sorted by URN, secrets replaced by "[secret]".
The same environments give the same bytes on every run.

Values that only AWS knows (ids, ARNs, resolved addon versions, AMI releases)
come from the mock engine and are marked as such ("mock" in the value).
Invalid environments print the same errors as validate; nothing is written.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			selected, err := loadSelected(g.environments, cmd.ErrOrStderr(), o.roles, o.clusters)
			if err != nil {
				return err
			}
			docs, err := synthAll(selected)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(o.out, 0o755); err != nil {
				return err
			}
			for i, c := range selected {
				path := filepath.Join(o.out, c.Name+".json")
				if err := writeFileAtomic(path, docs[i]); err != nil {
					return err
				}
				spot := ""
				if c.OwnsSpotRole {
					spot = "; creates the Spot service-linked role of account " + c.AccountID
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (role %s%s)\n", path, countLine(docs[i]), c.Role, spot)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "directory to write <cluster>.json into (created if missing)")
	cmd.Flags().StringSliceVar(&o.roles, "role", nil, "only clusters of these roles (repeatable)")
	cmd.Flags().StringSliceVar(&o.clusters, "cluster", nil, "only these clusters (repeatable)")
	return cmd
}

// synthAll synthesizes clusters in parallel; every one must succeed before
// anything is written.
func synthAll(clusters []*environments.Cluster) ([][]byte, error) {
	docs := make([][]byte, len(clusters))
	err := stacks.SynthEach(clusters, func(i int, doc *stacks.SynthDocument) error {
		var err error
		docs[i], err = doc.JSON()
		return err
	})
	return docs, err
}

func countLine(doc []byte) string {
	n := 0
	for i := 0; i+7 < len(doc); i++ {
		if string(doc[i:i+8]) == `"urn": "` {
			n++
		}
	}
	return fmt.Sprintf("%d resources", n)
}

// writeFileAtomic never leaves a half-written file behind.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
