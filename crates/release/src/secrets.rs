//! Which of Pyroscope's configuration keys hold secrets: no refusal of the check shows their
//! values, and the CLI redacts them.

/// The leaf names of Pyroscope configuration keys whose values are secrets (S3's
/// `storage.s3.secret_access_key`, the other object stores' keys and passwords, ...).
pub const SECRET_CONFIG_KEYS: &[&str] = &[
    "access_key_id",
    "secret_access_key",
    "secret_key",
    "secret_id",
    "password",
    "account_key",
    "client_secret",
    "connection_string",
    "service_account",
    "acl_token",
    "key",
];

/// Whether the configuration key whose last name is `leaf` holds a secret.
pub fn is_secret_config_key(leaf: &str) -> bool {
    SECRET_CONFIG_KEYS.contains(&leaf)
}
