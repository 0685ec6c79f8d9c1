module pyroscope-cluster.test/live/decoders/pyroscope-1.18

go 1.26

// As grafana/pyroscope v1.18.1's go.mod: gopkg.in/yaml.v3 is the colega fork (commit 255a8d1,
// "Accept int(0) as zero duration"); prometheus/common v0.66.1.
replace gopkg.in/yaml.v3 => github.com/colega/go-yaml-yaml v0.0.0-20220720105220-255a8d16d094

replace pyroscope-cluster.test/live/decoders/core => ../core

require (
	github.com/prometheus/common v0.66.1
	gopkg.in/yaml.v3 v3.0.1
	pyroscope-cluster.test/live/decoders/core v0.0.0
)

require (
	github.com/kr/pretty v0.3.1 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	google.golang.org/protobuf v1.36.8 // indirect
)
