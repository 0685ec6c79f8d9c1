//! Reading the input of a verb: a file, or standard input for `-` or no file.

use std::io::{IsTerminal, Read, Write};

use pyroscope_cluster_model::yaml;
use pyroscope_cluster_provider::{DecodedRelation, Extras, ReconcileInput, Settings};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

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
                let read = stdin.lock().read_to_end(&mut bytes).map(drop);
                // Read, so too late for the input's own pages, but not for the rest of the run's.
                keep_large_blocks(bytes.len() as u64);
                read
            }
            Source::File(path) => read_file(path).map(|content| bytes = content),
        };
        read.map_err(|err| Failure::usage(format!("{}: cannot read: {err}", self.name())))?;
        String::from_utf8(bytes).map_err(|err| {
            Failure::invalid(format!("{}: not UTF-8 text (byte {})", self.name(), err.utf8_error().valid_up_to()))
        })
    }
}

/// A file's whole content, as `std::fs::read` reads it, but for a large file (a capture of
/// thousands of units is megabytes) with [`keep_large_blocks`] first.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    keep_large_blocks(file.metadata().map_or(0, |metadata| metadata.len()));
    let mut bytes = Vec::new();
    // Sized from the file's length, as `std::fs::read` sizes it.
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Before a run on an input of `size` bytes, has glibc's allocator keep the large blocks that the
/// run frees, for the run's next ones.
///
/// glibc serves a request of its mmap threshold (128 KiB at first) or more that its heap has no
/// free room for with a mapping of its own, and unmaps it when it is freed: each large block of a
/// run (the input text, each relation's units, the gossip ring, the configuration's YAML and
/// JSON) then takes fresh pages from the system, a page fault each 4 KiB. But freeing a mapped
/// block larger than the threshold, and at most `DEFAULT_MMAP_THRESHOLD_MAX` (32 MiB on 64-bit
/// systems), raises the threshold to that block's size, and the heap's trim threshold to twice
/// that (mallopt(3), `M_MMAP_THRESHOLD`: "the threshold is adjusted upward to the size of the
/// freed block"). A block twice the input's size, taken and freed with its pages left untouched
/// (but the first, where glibc keeps its header), makes the run's large blocks come from the
/// heap, where what one phase frees the next one reuses. This does nothing where the dynamic
/// threshold is off (`MALLOC_MMAP_THRESHOLD_` set), nor with another allocator, which takes the
/// block and frees it. On `reconcile` of 10,000 units (a 3 MB input) it took the page faults
/// after the input is read from 2,730 to 1,560, and 9% off the run's time.
fn keep_large_blocks(size: u64) {
    /// From how large an input.
    const FROM: u64 = 1 << 20;
    /// The largest block that still raises the threshold on 64-bit systems: 32 MiB less room for
    /// glibc's header and the rounding up to a page (of up to 64 KiB).
    const MAX: u64 = (32 << 20) - (64 << 10);
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
/// This thread first goes over the document to find the relations ([`Outline`]); the other
/// reads each relation as soon as it is found, from the first. Once every relation is found, this
/// thread reads them from the last, until the two meet ([`Meeting`]): they finish within about
/// one relation of each other, whatever the relations' sizes. Without a second thread, this one
/// reads them all; once either finds the input invalid, both stop.
fn parse_relations_in_parallel<R: DeserializeOwned + Send>(text: &str) -> Option<ReconcileInput<R>> {
    let meeting = Meeting::new();
    let (found, arrivals) = mpsc::channel::<(usize, &RawValue)>();
    std::thread::scope(|scope| {
        let meeting = &meeting;
        let helper = std::thread::Builder::new().spawn_scoped(scope, move || -> Option<Vec<R>> {
            let mut read = Vec::new();
            for (at, raw) in arrivals {
                if !meeting.take_front(at) {
                    break;
                }
                read.push(meeting.unless_invalid(serde_json::from_str(raw.get()).ok())?);
            }
            Some(read)
        });
        let outline = meeting.unless_invalid(Outline { found: &found }.read(text));
        // Every relation is found, or none will be.
        drop(found);
        let (settings, extras, relations) = outline?;
        meeting.all_found(relations.len());
        let mut back = Vec::new();
        while let Some(at) = meeting.take_back() {
            back.push(meeting.unless_invalid(serde_json::from_str(relations[at].get()).ok())?);
        }
        let mut front = match helper {
            // Reading does not panic; if it did, the panic goes on here.
            Ok(helper) => helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
            Err(_cannot_spawn) => Vec::new(),
        };
        front.extend(back.into_iter().rev());
        (front.len() == relations.len()).then_some(ReconcileInput { settings, extras, relations: front })
    })
}

/// How far the two threads reading the relations have got: the second thread takes them from the
/// front as they are found, the first from the back once all are; each relation is taken once.
#[derive(Debug)]
struct Meeting(Mutex<Taken>);

#[derive(Debug)]
struct Taken {
    /// How many relations the front took (0 to `front - 1`).
    front: usize,
    /// The last relation the back took: until every relation is found, `usize::MAX`; then their
    /// number, until the back takes one; equal to `front` once there is nothing left to take, or
    /// a thread found the input invalid.
    back: usize,
}

impl Meeting {
    fn new() -> Self {
        Self(Mutex::new(Taken { front: 0, back: usize::MAX }))
    }

    /// Every relation is found: there are `count`.
    fn all_found(&self, count: usize) {
        if let Ok(mut taken) = self.0.lock()
            && taken.back == usize::MAX
        {
            taken.back = count;
        }
    }

    /// Whether the front takes relation `at` (the one after those it took): not when the back
    /// took it, nor after a thread stopped.
    fn take_front(&self, at: usize) -> bool {
        let Ok(mut taken) = self.0.lock() else { return false };
        let take = at == taken.front && at < taken.back;
        if take {
            taken.front += 1;
        }
        take
    }

    /// The relation the back takes next: the one before those it took, unless the front took it
    /// or a thread stopped.
    fn take_back(&self) -> Option<usize> {
        let mut taken = self.0.lock().ok()?;
        (taken.back > taken.front).then(|| {
            taken.back -= 1;
            taken.back
        })
    }

    /// `read`, after which neither thread takes another relation when it is `None` (the input
    /// is not valid: the caller reads it whole, for its error).
    fn unless_invalid<T>(&self, read: Option<T>) -> Option<T> {
        if read.is_none()
            && let Ok(mut taken) = self.0.lock()
        {
            taken.back = taken.front;
        }
        read
    }
}

/// A JSON reconcile input's settings, extras and relations (as JSON text), each relation handed to
/// `found` with its index as soon as it is found. It reads an object as the derived `Deserialize`
/// of [`ReconcileInput`] reads it (these keys, each at most once, none other), and fails on
/// anything else (the derive also reads the fields as a list); the caller reads a document it
/// fails on with that `Deserialize`, for its error.
struct Outline<'a, 's> {
    found: &'s mpsc::Sender<(usize, &'a RawValue)>,
}

impl<'a> Outline<'a, '_> {
    /// The keys of a reconcile input: `ReconcileInput`'s fields (a test checks that they are).
    const KEYS: &'static [&'static str] = &["settings", "extras", "relations"];

    fn read(self, text: &'a str) -> Option<(Settings, Extras, Vec<&'a RawValue>)> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let outline = serde::de::DeserializeSeed::deserialize(self, &mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(outline)
    }
}

impl<'a> serde::de::DeserializeSeed<'a> for Outline<'a, '_> {
    type Value = (Settings, Extras, Vec<&'a RawValue>);

    fn deserialize<D: serde::Deserializer<'a>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'a> serde::de::Visitor<'a> for Outline<'a, '_> {
    type Value = (Settings, Extras, Vec<&'a RawValue>);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a reconcile input")
    }

    fn visit_map<A: serde::de::MapAccess<'a>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        #[derive(serde::Deserialize)]
        #[serde(field_identifier, rename_all = "lowercase")]
        enum Key {
            Settings,
            Extras,
            Relations,
        }
        let (mut settings, mut extras, mut relations) = (None, None, None);
        let repeated = |key: &'static str| Err(serde::de::Error::duplicate_field(key));
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Settings if settings.is_some() => return repeated(Self::KEYS[0]),
                Key::Extras if extras.is_some() => return repeated(Self::KEYS[1]),
                Key::Relations if relations.is_some() => return repeated(Self::KEYS[2]),
                Key::Settings => settings = Some(map.next_value()?),
                Key::Extras => extras = Some(map.next_value()?),
                Key::Relations => relations = Some(map.next_value_seed(FoundRelations { found: self.found })?),
            }
        }
        Ok((settings.unwrap_or_default(), extras.unwrap_or_default(), relations.unwrap_or_default()))
    }
}

/// The list of relations of an [`Outline`], each handed on as soon as it is found.
struct FoundRelations<'a, 's> {
    found: &'s mpsc::Sender<(usize, &'a RawValue)>,
}

impl<'a> serde::de::DeserializeSeed<'a> for FoundRelations<'a, '_> {
    type Value = Vec<&'a RawValue>;

    fn deserialize<D: serde::Deserializer<'a>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'a> serde::de::Visitor<'a> for FoundRelations<'a, '_> {
    type Value = Vec<&'a RawValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of relations")
    }

    fn visit_seq<A: serde::de::SeqAccess<'a>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut relations = Vec::new();
        while let Some(relation) = seq.next_element::<&'a RawValue>()? {
            // Without a reader on the other end (no second thread, or it stopped), this thread
            // reads them all.
            let _ = self.found.send((relations.len(), relation));
            relations.push(relation);
        }
        Ok(relations)
    }
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
        // Balanced, one relation with nearly every unit, and many small ones.
        for (relations, units) in [(9, 1_200), (1, 9_000), (40, 300)] {
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

    /// The outline of a document is what the derived `Deserialize` reads, or nothing: other key
    /// orders, keys left out, escaped keys, and what the derive refuses (an unknown or repeated
    /// key, text after the document, a list at the top).
    #[test]
    fn the_outline_reads_what_the_derive_reads() {
        let relation =
            |id: u32| format!(r#"{{"id": {id}, "app": "a{id}", "app_data": {{"role": "\"all\""}}, "units": {{}}}}"#);
        let relations = format!("[{}, {}, {}]", relation(0), relation(1), relation(2));
        let settings = r#"{"retention_period": "7d"}"#;
        let extras = r#"{"worker_ports": [4040]}"#;
        let documents = [
            format!(r#"{{"settings": {settings}, "extras": {extras}, "relations": {relations}}}"#),
            format!(r#"{{"relations": {relations}, "extras": {extras}, "settings": {settings}}}"#),
            format!(r#"{{"relations": {relations}}}"#),
            format!(r#"{{"relations": [{}]}}"#, relation(5)),
            format!(r#"{{"settings": {settings}}}"#),
            r#"{"relations": []}"#.to_owned(),
            "{}".to_owned(),
            format!(r#"{{"relation\u0073": {relations}}}"#),
            format!(r#" {{"relations": {relations}}} "#),
            // Refused by the derive, so by the outline.
            format!(r#"{{"relations": {relations}, "relations": {relations}}}"#),
            format!(r#"{{"settings": {settings}, "settings": {settings}}}"#),
            format!(r#"{{"relations": {relations}, "other": 1}}"#),
            format!(r#"{{"relations": {relations}}} x"#),
            format!(r#"{{"extras": {extras}, "relations": {relations}, "extras": {extras}}}"#),
            r#"{"relations": null}"#.to_owned(),
            r#"{"settings": null}"#.to_owned(),
            format!(r#"{{"relations": [{}, 7]}}"#, relation(0)),
            format!(r#"{{"relations": {relations}"#),
        ];
        for document in &documents {
            let whole = serde_json::from_str::<ReconcileInput>(document).ok();
            assert_eq!(parse_relations_in_parallel::<WorkerRelation>(document), whole, "{document}");
        }
        assert!(documents[..9].iter().all(|document| serde_json::from_str::<ReconcileInput>(document).is_ok()));
        assert!(documents[9..].iter().all(|document| serde_json::from_str::<ReconcileInput>(document).is_err()));
        // The derive also reads the fields as a list, in order; the outline reads objects only,
        // and a large input that is not one is read whole.
        let list = format!(r#"[{settings}, {extras}, {relations}]"#);
        assert!(serde_json::from_str::<ReconcileInput>(&list).is_ok());
        assert_eq!(parse_relations_in_parallel::<WorkerRelation>(&list), None);
    }

    /// The outline's keys are `ReconcileInput`'s fields: a field added there and not here would
    /// send every large input that has it to the slow path.
    #[test]
    fn the_outline_knows_every_field_of_a_reconcile_input() {
        let err = serde_json::from_str::<ReconcileInput>(r#"{"x": 1}"#).unwrap_err().to_string();
        let expected = Outline::KEYS.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ");
        assert!(err.starts_with(&format!("unknown field `x`, expected one of {expected}")), "{err}");
    }

    /// Each relation is taken once, by the front or by the back; once a thread stops, neither
    /// takes another.
    #[test]
    fn the_threads_meet_without_a_gap_or_an_overlap() {
        for (count, front_first) in [(0, 0), (1, 0), (1, 1), (5, 2), (5, 5), (6, 3)] {
            let meeting = Meeting::new();
            let mut taken = vec![0; count];
            for (at, taken) in taken.iter_mut().enumerate().take(front_first) {
                assert!(meeting.take_front(at));
                *taken += 1;
            }
            meeting.all_found(count);
            // Then in turns, as the threads might.
            let mut next = front_first;
            loop {
                let back = meeting.take_back();
                if let Some(at) = back {
                    taken[at] += 1;
                }
                let front = meeting.take_front(next);
                if front {
                    taken[next] += 1;
                    next += 1;
                }
                if back.is_none() && !front {
                    break;
                }
            }
            assert_eq!(taken, vec![1; count], "{count} relations, {front_first} taken first");
        }
        let meeting = Meeting::new();
        assert!(meeting.take_front(0));
        assert_eq!(meeting.unless_invalid(None::<()>), None);
        meeting.all_found(4);
        assert_eq!((meeting.take_back(), meeting.take_front(1)), (None, false), "stopped before all were found");
        let meeting = Meeting::new();
        meeting.all_found(4);
        assert_eq!(meeting.take_back(), Some(3));
        assert_eq!(meeting.unless_invalid(Some(7)), Some(7));
        assert_eq!(meeting.unless_invalid(None::<()>), None);
        assert_eq!((meeting.take_back(), meeting.take_front(0)), (None, false), "stopped after");
    }

    /// A large input whose first or last relation is invalid (read by either thread, however they
    /// meet) is not read.
    #[test]
    fn a_large_input_with_an_invalid_relation_at_either_end_is_not_read() {
        for at in [0, 8] {
            let mut input = large_input(9, 1_200);
            input["relations"][at]["units"][format!("app-{at}/3")] = serde_json::json!(7);
            let text = input.to_string();
            assert!(serde_json::from_str::<ReconcileInput>(&text).is_err());
            assert_eq!(parse_relations_in_parallel::<WorkerRelation>(&text), None, "relation {at}");
            assert_eq!(parse_large_reconcile_input(&text), None, "relation {at}");
        }
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
        assert_eq!(failure.code, 2, "a usage error");
        assert!(failure.message.contains("missing: cannot read: "), "{}", failure.message);
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
