//! The binary as installed: copied into a folder of its own and run from an empty folder,
//! without the variables cargo sets, it needs nothing of the source tree. Its features are
//! built in, its reports go to `./reports` and its snapshots to `./snapshots`, and
//! `features export` writes an editable copy that runs the same scenarios.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A scratch folder holding the copied binary (`bin/`), the working folder (`work/`) and the
/// cache the binary writes its built-in trees into (`cache/`).
struct Installed {
    root: PathBuf,
    exe: PathBuf,
}

impl Installed {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("installed-{}", uuid::Uuid::new_v4()));
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::create_dir_all(root.join("work")).expect("work");
        let exe = bin.join(format!("dcr-conformance{}", std::env::consts::EXE_SUFFIX));
        std::fs::copy(env!("CARGO_BIN_EXE_dcr-conformance"), &exe).expect("copy the binary");
        Self { root, exe }
    }

    fn work(&self) -> PathBuf {
        self.root.join("work")
    }

    fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// `dcr-conformance ARGS` in `work/`, with none of cargo's variables.
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args).current_dir(self.work());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("CARGO") || name.starts_with("INSTA") || name == "CI" {
                cmd.env_remove(&name);
            }
        }
        cmd.env("DCR_CONFORMANCE_CACHE", self.cache())
            .output()
            .expect("the copied binary runs")
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn summary(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("JSON")
}

fn locations(summary: &Value) -> Vec<String> {
    let mut out: Vec<String> = summary["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["location"].as_str().expect("location").to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn the_copied_binary_runs_from_an_empty_folder_with_its_built_in_features() {
    let installed = Installed::new();
    let work = installed.work();
    let run = ["run", "--progress", "off", "--rule", "DCR-REQ-060"];

    // First run: the suite runs, reports go to ./reports, snapshots are recorded in
    // ./snapshots/<target>/<profile>/ and the run passes.
    let first = installed.run(&run);
    let first_text = text(&first);
    assert_eq!(first.status.code(), Some(0), "{first_text}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    // The named payload snapshot and each passed scenario's exchanges.
    assert!(stdout.contains("snapshots: "), "{first_text}");
    assert!(
        stdout.contains(" new, recorded as this target's baseline"),
        "{first_text}"
    );
    assert!(
        work.join("snapshots/mock-holder/cds-au/scenarios/REG-001.snap")
            .is_file(),
        "{first_text}"
    );
    // Named relative to the folder it runs in.
    assert!(
        stdout
            .lines()
            .any(|l| l.trim() == "snapshots/mock-holder/cds-au/register-created.snap"),
        "{first_text}"
    );
    assert!(
        work.join("snapshots/mock-holder/cds-au/register-created.snap")
            .is_file(),
        "{first_text}"
    );
    let embedded = summary(&work.join("reports"));
    assert_eq!(embedded["verdict"], "passed", "{first_text}");
    let embedded_locations = locations(&embedded);
    assert!(!embedded_locations.is_empty());
    for location in &embedded_locations {
        assert!(
            location.starts_with("registration/"),
            "a location relative to the features folder: {location}"
        );
    }
    // The cache folder the built-in features were written into is not shown as the user's.
    let cache = installed.cache().display().to_string();
    assert!(!stdout.contains(&cache), "{first_text}");
    let features_dirs: Vec<_> = std::fs::read_dir(installed.cache())
        .expect("the cache was written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        features_dirs.iter().any(|n| n.starts_with("features-")),
        "{features_dirs:?}"
    );
    // Nothing beside the binary.
    assert_eq!(
        std::fs::read_dir(installed.root.join("bin"))
            .expect("bin")
            .count(),
        1
    );

    // Second run: the recorded snapshot is compared, nothing new.
    let second = installed.run(&run);
    let second_text = text(&second);
    assert_eq!(second.status.code(), Some(0), "{second_text}");
    assert!(
        !String::from_utf8_lossy(&second.stdout).contains("new, recorded"),
        "{second_text}"
    );

    // features export: an editable copy, refused over a non-empty folder without --force.
    let export = installed.run(&["features", "export", "my-features"]);
    let export_text = text(&export);
    assert_eq!(export.status.code(), Some(0), "{export_text}");
    assert!(
        String::from_utf8_lossy(&export.stdout).contains("wrote the built-in features"),
        "{export_text}"
    );
    assert!(work.join("my-features/catalogue.yaml").is_file());
    let again = installed.run(&["features", "export", "my-features"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{}",
        text(&again)
    );
    let forced = installed.run(&["features", "export", "my-features", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));

    // The exported copy runs the same scenarios, at the same locations, with the same plan.
    let exported = installed.run(&[
        "run",
        "--progress",
        "off",
        "--rule",
        "DCR-REQ-060",
        "--features",
        "my-features",
        "--report-dir",
        "reports-exported",
    ]);
    assert_eq!(exported.status.code(), Some(0), "{}", text(&exported));
    let copy = summary(&work.join("reports-exported"));
    assert_eq!(locations(&copy), embedded_locations);
    assert_eq!(copy["counts"], embedded["counts"]);
    assert_eq!(copy["rule_counts"], embedded["rule_counts"]);
    assert_eq!(copy["coverage_gaps"], embedded["coverage_gaps"]);

    // The other commands that read the features work from here too.
    let profiles = installed.run(&["profiles"]);
    assert_eq!(profiles.status.code(), Some(0), "{}", text(&profiles));
    assert!(String::from_utf8_lossy(&profiles.stdout).contains("cds-au"));
}
