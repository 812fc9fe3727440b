package deploycheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// NATSValues is the part of deploy/nats/values.yaml the checks read.
type NATSValues struct {
	Config struct {
		Cluster struct {
			Enabled  bool `yaml:"enabled"`
			Replicas int  `yaml:"replicas"`
		} `yaml:"cluster"`
		JetStream struct {
			Enabled   bool `yaml:"enabled"`
			FileStore struct {
				Enabled bool `yaml:"enabled"`
				PVC     struct {
					Enabled bool   `yaml:"enabled"`
					Size    string `yaml:"size"`
				} `yaml:"pvc"`
			} `yaml:"fileStore"`
		} `yaml:"jetstream"`
		Monitor struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"monitor"`
		Merge map[string]any `yaml:"merge"`
	} `yaml:"config"`
	Container struct {
		Env map[string]any `yaml:"env"`
	} `yaml:"container"`
	PromExporter struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"promExporter"`
}

// ReadNATSValues reads the NATS chart values file.
func ReadNATSValues(path string) (NATSValues, error) {
	var v NATSValues
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// rawValue matches what the NATS chart writes unquoted: "<< x >>".
var rawValue = regexp.MustCompile(`"<<\s+(.*?)\s+>>"`)

// ServerConfig writes the values' config.merge, plus the given top-level
// settings, as a nats-server configuration file, the way the NATS chart
// does: JSON (a subset of the NATS configuration syntax) with "<< x >>"
// values unquoted, so "<< $VAR >>" reads an environment variable.
func (v NATSValues) ServerConfig(extra map[string]any) ([]byte, error) {
	conf := map[string]any{}
	for k, x := range v.Config.Merge {
		conf[k] = x
	}
	for k, x := range extra {
		conf[k] = x
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(conf); err != nil {
		return nil, err
	}
	return rawValue.ReplaceAll(b.Bytes(), []byte("$1")), nil
}
