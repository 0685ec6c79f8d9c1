// decoders-1.18: YAML values decoded as Pyroscope 1.18 to 2.0 decode their config file.
package main

import (
	"bytes"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"pyroscope-cluster.test/live/decoders/core"
)

func decode(doc []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(out)
}

func main() {
	core.Run("decoders-1.18", decode, func() any {
		return &struct {
			V model.Duration `yaml:"v"`
		}{}
	})
}
