// decoders-2.2: YAML values decoded as Pyroscope 2.2 decodes their config file.
package main

import (
	"bytes"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"pyroscope-cluster.test/live/decoders/core"
)

func decode(doc []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(out)
}

func main() {
	core.Run("decoders-2.2", decode, func() any {
		return &struct {
			V model.Duration `yaml:"v"`
		}{}
	})
}
