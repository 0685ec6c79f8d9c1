module pyroscope-cluster.test/live/decoders/pyroscope-2.2

go 1.26

// As grafana/pyroscope v2.2.1's go.mod: go.yaml.in/yaml/v3 v3.0.4, prometheus/common v0.67.5.
replace pyroscope-cluster.test/live/decoders/core => ../core

require (
	github.com/prometheus/common v0.67.5
	go.yaml.in/yaml/v3 v3.0.4
	pyroscope-cluster.test/live/decoders/core v0.0.0
)

require (
	github.com/kr/pretty v0.3.1 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	go.yaml.in/yaml/v2 v2.4.3 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
