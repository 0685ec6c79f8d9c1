//! Reading the input of a verb: a file, or standard input for `-` or no file.

use std::io::{IsTerminal, Read, Write};

use pyroscope_cluster_model::yaml;
use pyroscope_cluster_provider::{DecodedRelation, ReconcileInput};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::path::{Path, PathBuf};

use crate::Failure;

/// Where a verb's input comes from; named in every error message.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub(crate) fn from_arg(arg: Option<&Path>) -> Self {
        match arg {
            None => Source::Stdin,
            Some(path) if path == Path::new("-") => Source::Stdin,
            Some(path) => Source::File(path.to_owned()),
        }
    }

    /// The name errors use: the path, or `<stdin>`.
    pub(crate) fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// The whole input as text. A file that cannot be read is a usage error; text that is not
    /// UTF-8 is invalid input.
    pub(crate) fn read(&self) -> Result<String, Failure> {
        let mut bytes = Vec::new();
        let read = match self {
            Source::Stdin => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    // Not a silent wait: a person who forgot the FILE learns what is expected.
                    let _ = writeln!(
                        std::io::stderr(),
                        "pyroscope-cluster: reading standard input (give a FILE, or end the input with Ctrl-D)"
                    );
                }
                stdin.lock().read_to_end(&mut bytes).map(drop)
            }
            Source::File(path) => read_file(path).map(|content| bytes = content),
        };
        read.map_err(|err| Failure::usage(format!("{}: cannot read: {err}", self.name())))?;
        String::from_utf8(bytes).map_err(|err| {
            Failure::invalid(format!("{}: not UTF-8 text (byte {})", self.name(), err.utf8_error().valid_up_to()))
        })
    }
}

/// A file's whole content, read as `std::fs::read` reads it, but for a large file (a capture of
/// thousands of units is megabytes) with [`keep_large_blocks`] first.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |metadata| metadata.len());
    keep_large_blocks(size);
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(usize::try_from(size).unwrap_or(0))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Before a run on an input of `size` bytes, has glibc's allocator keep the large blocks that the
/// run frees, for the run's next ones.
///
/// glibc gives a block of its mmap threshold (128 KiB at first) or more a mapping of its own, and
/// unmaps it when it is freed: each large block of a run (the input text, each relation's units,
/// the gossip ring, the configuration's YAML and JSON) then takes fresh pages from the system, one
/// page fault each 4 KiB. But freeing a block above the threshold (and at most 32 MiB) raises the
/// threshold to that block's size (mallopt(3), `M_MMAP_THRESHOLD`: "the threshold is adjusted
/// upward to the size of the freed block", and the heap's trim threshold to twice that). A block
/// twice the input's size, taken and freed untouched (its pages never faulted in), makes the
/// run's large blocks come from the heap, where what one phase frees the next one reuses. On
/// `reconcile` of 10,000 units (a 3 MB input) this took the page faults after the input is read
/// from 2,730 to 1,560, and 9% off the run's time. Other allocators take the block and free it,
/// and that is all.
fn keep_large_blocks(size: u64) {
    /// From how large an input.
    const FROM: u64 = 1 << 20;
    /// glibc's largest dynamic threshold on 64-bit systems (`DEFAULT_MMAP_THRESHOLD_MAX`).
    const MAX: u64 = 32 << 20;
    if size < FROM {
        return;
    }
    let block = usize::try_from(size.saturating_mul(2).min(MAX)).unwrap_or(0);
    // `black_box`: the block is taken from the allocator and freed, not optimized away.
    drop(std::hint::black_box(Vec::<u8>::with_capacity(block)));
}

/// Reads YAML or JSON: JSON (an object or a list at the top) with the JSON parser, which is much
/// faster on large inputs, and anything else as YAML, of which JSON is a subset. The error is the
/// parser's, with its line and column. Empty input, and a YAML tag (`!!python/object`), are
/// errors: neither is ever what a person meant.
pub(crate) fn parse_yaml_or_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    if text.trim().is_empty() {
        return Err("the input is empty".to_owned());
    }
    if text.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(text).map_err(|err| err.to_string())
    } else {
        yaml::from_str_untagged(text).map_err(|err| err.to_string())
    }
}

/// A reconcile input, read as [`parse_yaml_or_json`] reads it.
pub(crate) fn parse_reconcile_input(text: &str) -> Result<ReconcileInput, String> {
    parse_yaml_or_json(text)
}

/// A large reconcile input (a JSON text of a megabyte or more: a cluster of thousands of units),
/// its relations read on two threads, each relation on its own, each unit databag decoded as it is
/// read ([`DecodedRelation`]); `None` for a smaller input, one that is not valid (read it with
/// [`parse_reconcile_input`], for the error that the whole text gives, with its line and column),
/// or one whose relations repeat an ID (read it so too, for its order of relations to be the
/// snapshot's).
pub(crate) fn parse_large_reconcile_input(text: &str) -> Option<ReconcileInput<DecodedRelation>> {
    /// From how large a JSON text the relations are read on two threads.
    const PARALLEL_FROM: usize = 1 << 20;
    if text.len() < PARALLEL_FROM || !text.trim_start().starts_with('{') {
        return None;
    }
    let input = parse_relations_in_parallel::<DecodedRelation>(text)?;
    let mut ids: Vec<_> = input.relations.iter().map(|relation| relation.id).collect();
    ids.sort_unstable();
    let unique = ids.windows(2).all(|pair| pair[0] != pair[1]);
    unique.then_some(input)
}

/// A valid JSON reconcile input, its relations read on two threads; `None` when anything is not
/// valid.
///
/// The threads take the relations one at a time, this one from the first, the other from the
/// last, until they meet: both finish within about one relation of each other, whatever the
/// relations' sizes, and without a second thread this one reads them all.
fn parse_relations_in_parallel<R: DeserializeOwned + Send>(text: &str) -> Option<ReconcileInput<R>> {
    let ReconcileInput { settings, extras, relations } =
        serde_json::from_str::<ReconcileInput<&RawValue>>(text).ok()?;
    let unread = std::sync::Mutex::new(0..relations.len());
    // The next relation from the front (or the back); `None` once every one is taken, or when
    // the other thread panicked holding the lock (its panic goes on when it is joined).
    let take = |from_back: bool| {
        let mut unread = unread.lock().ok()?;
        if from_back { unread.next_back() } else { unread.next() }
    };
    let read = |from_back: bool| -> Option<Vec<R>> {
        let mut read = Vec::new();
        while let Some(at) = take(from_back) {
            read.push(serde_json::from_str(relations[at].get()).ok()?);
        }
        Some(read)
    };
    let relations = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new().spawn_scoped(scope, || read(true));
        let front = read(false);
        let back = match helper {
            // Reading does not panic; if it did, the panic goes on here.
            Ok(helper) => helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_cannot_spawn) => Some(Vec::new()),
        };
        // A thread that met an invalid relation stops taking; the other goes on to the end.
        let (mut relations, back) = (front?, back?);
        relations.extend(back.into_iter().rev());
        Some(relations)
    })?;
    Some(ReconcileInput { settings, extras, relations })
}

#[cfg(test)]
mod tests {
    use pyroscope_cluster_provider::WorkerRelation;

    use super::*;

    /// A large input: `relations` relations of `units` units, each unit's databag as the Python
    /// worker writes it.
    fn large_input(relations: usize, units: usize) -> serde_json::Value {
        let relations: Vec<serde_json::Value> = (0..relations)
            .map(|r| {
                let app = format!("app-{r}");
                let units: serde_json::Map<String, serde_json::Value> = (0..units)
                    .map(|u| {
                        let topology = format!(r#"{{"application": "{app}", "unit": "{app}/{u}", "charm_name": "w"}}"#);
                        let databag = serde_json::json!({
                            "address": format!(r#""{app}-{u}.{app}-endpoints.svc.cluster.local""#),
                            "juju_topology": topology,
                        });
                        (format!("{app}/{u}"), databag)
                    })
                    .collect();
                serde_json::json!({"id": r, "app": app, "app_data": {"role": "\"all\""}, "units": units})
            })
            .collect();
        serde_json::json!({"settings": {"retention_period": "7d"}, "relations": relations})
    }

    #[test]
    fn a_large_input_reads_as_one_read_whole() {
        // Balanced, and one relation with nearly every unit.
        for (relations, units) in [(9, 1_200), (1, 9_000)] {
            let text = large_input(relations, units).to_string();
            assert!(text.len() >= 1 << 20, "large enough to be read on two threads: {}", text.len());
            let whole: ReconcileInput = serde_json::from_str(&text).unwrap();
            assert_eq!(parse_relations_in_parallel(&text), Some(whole.clone()));
            let decoded = ReconcileInput {
                settings: whole.settings.clone(),
                extras: whole.extras.clone(),
                relations: whole.relations.iter().cloned().map(DecodedRelation::from).collect(),
            };
            assert!(decoded.relations.iter().all(|relation| relation.units.iter().all(|(_, unit)| unit.is_ok())));
            assert_eq!(parse_large_reconcile_input(&text), Some(decoded));
            assert_eq!(parse_reconcile_input(&text), Ok(whole));
        }
    }

    #[test]
    fn a_large_invalid_input_has_the_error_of_the_whole_text() {
        let mut input = large_input(9, 1_200);
        input["relations"][7]["units"]["app-7/3"]["address"] = serde_json::json!(7);
        let text = pretty_json(&input);
        let whole = serde_json::from_str::<ReconcileInput>(&text).unwrap_err().to_string();
        assert!(whole.contains("invalid type: integer `7`, expected a string at line"), "{whole}");
        assert_eq!(parse_relations_in_parallel::<WorkerRelation>(&text), None);
        assert_eq!(parse_large_reconcile_input(&text), None);
        assert_eq!(parse_reconcile_input(&text), Err(whole));
    }

    #[test]
    fn a_large_input_that_repeats_a_relation_id_is_read_whole() {
        let mut input = large_input(9, 1_200);
        input["relations"][7]["id"] = serde_json::json!(2);
        let text = input.to_string();
        assert!(parse_relations_in_parallel::<DecodedRelation>(&text).is_some());
        assert_eq!(parse_large_reconcile_input(&text), None);
        assert_eq!(parse_reconcile_input(&text).map(|input| input.relations.len()), Ok(9));
    }

    #[test]
    fn a_file_is_read_whole_large_or_small() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0, 5, (1 << 20) - 1, 1 << 20, 3 << 20] {
            let text: String = (0..size).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let path = dir.path().join(format!("input-{size}"));
            std::fs::write(&path, &text).unwrap();
            assert_eq!(Source::File(path).read().ok(), Some(text), "{size} bytes");
        }
        let missing = Source::File(dir.path().join("missing"));
        let failure = missing.read().unwrap_err();
        assert!(failure.message.contains("missing: cannot read: No such file"), "{}", failure.message);
    }

    #[test]
    fn a_small_input_is_not_read_as_a_large_one() {
        let text = large_input(2, 3).to_string();
        assert_eq!(parse_large_reconcile_input(&text), None);
        assert_eq!(parse_reconcile_input(&text).map(|input| input.relations.len()), Ok(2));
    }

    /// `value` as pretty JSON, so that an error's line is not 1.
    fn pretty_json(value: &serde_json::Value) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }
}
