//! S3 from an s3-integrator databag, as s3-integrator publishes it and the Canonical coordinator
//! takes it. Reading the `s3` relation is the coordinator flow's (`pyroscope-cluster-coordinator`).

use pyroscope_cluster_model::RawDatabag;

use crate::S3Settings;

/// The endpoint of the S3 relation in the Canonical coordinator (`coordinator/charmcraft.yaml`).
pub const S3_ENDPOINT: &str = "s3";

/// Why an s3-integrator databag gives no S3 connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3DatabagError {
    /// A key the connection needs is not in the S3 provider's databag yet.
    #[error("the S3 provider {app} has not published `{key}` yet")]
    Missing {
        /// The S3 provider application.
        app: String,
        /// The key.
        key: &'static str,
    },
    /// `tls-ca-chain` is not a JSON list of strings.
    #[error("the S3 provider {app} published a `tls-ca-chain` that is not a JSON list of PEM strings")]
    TlsCaChain {
        /// The S3 provider application.
        app: String,
    },
}

/// The S3 settings in the s3-integrator databag of the application `app`.
///
/// The databag is s3-integrator's (data-platform-libs `charms/data_platform_libs/v0/s3.py`): plain
/// string values for `bucket`, `endpoint`, `access-key`, `secret-key` and `region`, and
/// `tls-ca-chain` as a JSON list of PEM strings. Every value is read as the library's
/// `_load_relation_data` does, JSON when it parses as a JSON string, the text itself otherwise.
/// Then as the Canonical coordinator (coordinated-workers 4.1.4 `coordinator.py`
/// `S3ConnectionInfo`, `_s3_config`): `endpoint`, `bucket`, `access-key` and `secret-key` are
/// required; for an endpoint with a scheme, `insecure` is `not (tls_ca_chain or scheme ==
/// "https")`, given explicitly; an empty region is none; the CA chain's certificates are joined
/// with a blank line. The endpoint is passed on as published: the config strips its scheme (and
/// refuses a path, with the reason).
///
/// An endpoint without a scheme is HTTPS (`insecure` not given: see
/// [`S3Settings::insecure`](crate::S3Settings::insecure)), as this crate documents everywhere:
/// coordinated-workers would say plain HTTP there unless a CA chain is given (Python's
/// `urlparse("minio:9000").scheme` is `minio`, or empty for `minio`: neither is `https`), and
/// send the keys in clear to an endpoint nobody said was plain HTTP.
pub fn s3_settings(app: &str, databag: &RawDatabag) -> Result<S3Settings, S3DatabagError> {
    let value = |key: &str| databag.get(key).map(|raw| loaded(raw));
    let required = |key: &'static str| value(key).ok_or(S3DatabagError::Missing { app: app.to_owned(), key });
    let raw_endpoint = required("endpoint")?;
    let bucket_name = required("bucket")?;
    let access_key_id = required("access-key")?;
    let secret_access_key = required("secret-key")?;
    let tls_ca_chain = match databag.get("tls-ca-chain") {
        None => None,
        Some(raw) => {
            let chain: Vec<String> =
                serde_json::from_str(raw).map_err(|_| S3DatabagError::TlsCaChain { app: app.to_owned() })?;
            (!chain.is_empty()).then(|| chain.join("\n\n"))
        }
    };
    let scheme = raw_endpoint.split_once("://").map(|(scheme, _)| scheme);
    let insecure = scheme.map(|scheme| !(tls_ca_chain.is_some() || scheme == "https"));
    Ok(S3Settings {
        endpoint: raw_endpoint,
        bucket_name,
        access_key_id,
        secret_access_key,
        region: value("region").filter(|region| !region.is_empty()),
        insecure,
        tls_ca_chain,
    })
}

/// A value as data-platform-libs' `_load_relation_data` reads it: a JSON string's content, or
/// the raw text.
fn loaded(raw: &str) -> String {
    serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(entries: &[(&str, &str)]) -> RawDatabag {
        entries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Endpoint, insecure (`None`: not given, HTTPS), region, CA chain.
    type Expected<'a> = (&'a str, Option<bool>, Option<&'a str>, Option<&'a str>);

    #[track_caller]
    fn check(entries: &[(&str, &str)], expect: Result<Expected<'_>, &str>) {
        match (s3_settings("s3", &bag(entries)), expect) {
            (Ok(got), Ok((endpoint, insecure, region, chain))) => {
                assert_eq!(got.endpoint, endpoint);
                assert_eq!(got.insecure, insecure);
                assert_eq!(got.region.as_deref(), region);
                assert_eq!(got.tls_ca_chain.as_deref(), chain);
                assert_eq!(got.bucket_name, "pyroscope");
                assert_eq!(got.access_key_id, "AK");
            }
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn s3_integrator_databags() {
        let base = [("bucket", "pyroscope"), ("access-key", "AK"), ("secret-key", "SK")];
        let with = |more: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
            base.iter().chain(more).copied().collect()
        };
        check(&with(&[("endpoint", "http://minio:9000")]), Ok(("http://minio:9000", Some(true), None, None)));
        check(&with(&[("endpoint", "https://s3.example")]), Ok(("https://s3.example", Some(false), None, None)));
        // No scheme: not given, so HTTPS (coordinated-workers would say plain HTTP).
        check(&with(&[("endpoint", "minio:9000"), ("region", "eu-1")]), Ok(("minio:9000", None, Some("eu-1"), None)));
        check(&with(&[("endpoint", "minio:9000"), ("region", "")]), Ok(("minio:9000", None, None, None)));
        check(
            &with(&[("endpoint", "http://minio:9000"), ("tls-ca-chain", r#"["A", "B"]"#)]),
            Ok(("http://minio:9000", Some(false), None, Some("A\n\nB"))),
        );
        check(&with(&[("endpoint", "\"http://minio:9000\"")]), Ok(("http://minio:9000", Some(true), None, None)));
        check(&base, Err("the S3 provider s3 has not published `endpoint` yet"));
        check(
            &with(&[("endpoint", "minio"), ("tls-ca-chain", "PEM")]),
            Err("the S3 provider s3 published a `tls-ca-chain` that is not a JSON list of PEM strings"),
        );
    }

    #[test]
    fn debug_hides_the_keys() {
        let connection = s3_settings(
            "s3",
            &bag(&[("bucket", "b"), ("access-key", "AKIA1"), ("secret-key", "hunter2"), ("endpoint", "e")]),
        )
        .unwrap();
        let shown = format!("{connection:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("AKIA1"), "{shown}");
    }
}
