//! Every fuzz target of `fuzz/` over its seeds (the Python vectors and the examples) and over the
//! inputs committed in `fuzz/regressions/<target>/` (a crash a fuzzer found, once fixed): the
//! targets build with the workspace, and none panics on them. The coverage-guided runs are
//! `cargo xtask fuzz` (and `cargo fuzz run <target>`).

#[allow(unreachable_pub, dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz;

#[test]
fn every_target_runs_its_seeds_and_corpus() {
    let regressions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    for (name, target) in fuzz::TARGETS {
        let mut inputs = fuzz::seeds(name);
        assert!(!inputs.is_empty(), "{name} has seeds");
        if let Ok(entries) = std::fs::read_dir(regressions.join(name)) {
            inputs.extend(entries.map(|entry| std::fs::read(entry.unwrap().path()).unwrap()));
        }
        for input in &inputs {
            target(input);
        }
    }
}
