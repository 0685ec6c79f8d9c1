//! `cargo xtask`: see the library's docs.

use std::process::ExitCode;

use xtask::{FileOutcome, Mode, project_root, schema};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  schema           write docs/schema/v0/*.json and docs/interface.md from the Rust types, and
                   crates/release/src/keys.rs from reference/pyroscope/*.json
  schema --check   change nothing; fail if one of them is out of date
  fuzz [--seconds N]
                   run every fuzz target of fuzz/ for N seconds (default 5), seeded from the
                   Python vectors and the examples (stable toolchain, libFuzzer)
  fuzz --seed-only write the seeds into fuzz/corpus/<target>/ for `cargo fuzz run`
  interop          against the real Python peers (needs python3 and PyPI): for coordinated-workers
                   4.0.1 and 4.1.4, each in its venv under target/ (tests/interop/requirements*.txt),
                   regenerate the Python vectors, check the YAML emitter against PyYAML, run the
                   cases the peers differ on and mixed Rust/Python clusters under the fake Juju
  interop --no-clusters
                   the same without the clusters (the slow part)
  live [PART...]   real programs built from Go modules (needs Go 1.26 and the Go module proxy):
                   binaries (always), decoders, s3, pebble; all when none is named. See docs/live.md
  live --paths [NAME...]
                   build the binaries (or the ones named: pebble, weed, s3check, decoders-1.18,
                   decoders-2.2) into target/live/bin/ and print their paths";

fn fuzz(args: &[&str]) -> ExitCode {
    let root = project_root();
    let result = match args {
        ["--seed-only"] => xtask::fuzz::write_seeds(&root.join("fuzz/corpus")).map(|n| println!("wrote {n} seeds")),
        [] => xtask::fuzz::run(&root, 5),
        ["--seconds", n] => match n.parse() {
            Ok(seconds) => xtask::fuzz::run(&root, seconds),
            Err(_) => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mode = match args.as_slice() {
        ["schema"] => Mode::Write,
        ["schema", "--check"] => Mode::Check,
        ["fuzz", rest @ ..] => return fuzz(rest),
        ["interop", rest @ ..] if rest.is_empty() || rest == ["--no-clusters"] => {
            return match xtask::interop::run(&project_root(), rest.is_empty()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::FAILURE
                }
            };
        }
        ["live", "--paths", names @ ..] => {
            let root = project_root();
            let wanted: Vec<xtask::live::Binary> = xtask::live::Binary::ALL
                .into_iter()
                .filter(|which| names.is_empty() || names.contains(&which.name()))
                .collect();
            if wanted.len() < names.len() {
                let known: Vec<&str> = xtask::live::Binary::ALL.iter().map(|which| which.name()).collect();
                eprintln!("error: the binaries are {}", known.join(", "));
                return ExitCode::from(2);
            }
            for which in wanted {
                match xtask::live::binary(&root, which) {
                    Ok(path) => println!("{}", path.display()),
                    Err(err) => {
                        eprintln!("error: {err:#}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            return ExitCode::SUCCESS;
        }
        ["live", "--probe", target] => {
            return if xtask::live::probe(target) { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
        ["live", parts @ ..] => {
            return match xtask::live::run(&project_root(), parts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::FAILURE
                }
            };
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match schema(&project_root(), mode) {
        Ok(outcomes) => {
            for (path, outcome) in outcomes {
                match outcome {
                    FileOutcome::Written => println!("wrote {path}"),
                    FileOutcome::Fresh | FileOutcome::Stale => println!("{path} is up to date"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
