//! The ports Pyroscope listens on, as the Canonical charms run it: one definition for the
//! coordinator, which publishes them, and the worker, which runs Pyroscope on them.

use pyroscope_cluster_model::Port;

/// HTTP (`server.http_listen_port`), as the Canonical charms run it: the API, `/ready`, ingestion.
pub const HTTP: Port = Port::new(4040).expect("non-zero");

/// memberlist's gossip port (`memberlist.bind_port`; dskit's default, and the reference's).
pub const MEMBERLIST: Port = Port::new(7946).expect("non-zero");

/// gRPC (`server.grpc_listen_port`'s default): in v2, the metastore's and the query-backend's
/// clients reach them there.
pub const GRPC: Port = Port::new(9095).expect("non-zero");

/// The metastores' Raft port in v2 (`-metastore.raft.bind-address=:9099`, as the Canonical branch
/// `feat/pyroscope-v2` and Grafana's Helm chart run it).
pub const RAFT: Port = Port::new(9099).expect("non-zero");
