module pyroscope-cluster.test/live/decoders/core

go 1.26
