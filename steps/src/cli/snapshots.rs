//! `dcr-conformance snapshots`: the payloads a run wrote for review (`<name>.snap.new`, when a
//! holder's answer changed), listed, reviewed one by one, accepted or rejected, with only the
//! binary. The files are insta's, so `cargo insta review` works on them as well.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::scenario::snapshot::{self, Pending};

/// What to do with the pending snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Action {
    /// List them with their diffs.
    List,
    /// Show each diff and ask: accept, reject or skip.
    Review,
    /// Accept every one: the changed payloads become the stored snapshots.
    Accept,
    /// Reject every one: the stored snapshots stay, the pending files are removed.
    Reject,
}

/// `snapshots` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct SnapshotsArgs {
    /// list, review, accept or reject.
    #[arg(value_enum)]
    pub(crate) action: Action,
    /// The snapshot folder the runs used (their `--snapshots`) [default: snapshots/ beside the
    /// --target file, else ./snapshots, as `run` chooses].
    #[arg(long, value_name = "DIR")]
    pub(crate) snapshots: Option<PathBuf>,
    /// The target file the runs used, to find the snapshot folder as `run` does.
    #[arg(long, value_name = "FILE")]
    pub(crate) target: Option<PathBuf>,
    /// Only the snapshots whose path (relative to the folder) contains this text, e.g. a
    /// target name, `cds-au/` or a scenario ID (repeatable: any of them).
    #[arg(long, value_name = "TEXT")]
    pub(crate) only: Vec<String>,
}

/// Runs the command. Exit 0 done (or nothing pending), 2 a file could not be read or changed.
pub(crate) fn command(args: &SnapshotsArgs) -> ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    match execute(args, &mut input, &mut output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "dcr-conformance: snapshots: {}",
                crate::redact::chain::chain(&e)
            );
            ExitCode::from(2)
        }
    }
}

/// [`command`] with its input (answers to the review's questions) and output given.
///
/// # Errors
/// A snapshot file could not be read, renamed or removed.
pub(crate) fn execute(
    args: &SnapshotsArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let root = args
        .snapshots
        .clone()
        .unwrap_or_else(|| crate::run::runner::default_snapshot_root(args.target.as_deref()));
    let root = root.as_path();
    let all = snapshot::pending(root)?;
    let selected: Vec<Pending> = all
        .into_iter()
        .filter(|p| {
            args.only.is_empty() || args.only.iter().any(|o| p.label(root).contains(o.as_str()))
        })
        .collect();
    if selected.is_empty() {
        writeln!(out, "snapshots: nothing to review in {}", root.display())?;
        return Ok(());
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for (n, p) in selected.iter().enumerate() {
        match args.action {
            Action::List => {
                show(out, root, p, n, selected.len())?;
                skipped += 1;
            }
            Action::Accept => {
                p.accept()?;
                accepted += 1;
            }
            Action::Reject => {
                p.reject()?;
                rejected += 1;
            }
            Action::Review => {
                show(out, root, p, n, selected.len())?;
                match ask(input, out)? {
                    Answer::Accept => {
                        p.accept()?;
                        accepted += 1;
                    }
                    Answer::Reject => {
                        p.reject()?;
                        rejected += 1;
                    }
                    Answer::Skip => skipped += 1,
                    Answer::Quit => {
                        skipped += selected.len() - n;
                        break;
                    }
                }
            }
        }
    }
    writeln!(
        out,
        "snapshots: {accepted} accepted, {rejected} rejected, {skipped} left for review ({})",
        root.display()
    )?;
    Ok(())
}

/// Prints one pending snapshot: its name and the diff.
fn show(
    out: &mut dyn Write,
    root: &Path,
    p: &Pending,
    n: usize,
    total: usize,
) -> anyhow::Result<()> {
    let state = if p.stored.exists() { "changed" } else { "new" };
    writeln!(out, "[{}/{total}] {} ({state})", n + 1, p.label(root))?;
    write!(out, "{}", p.diff()?)?;
    Ok(())
}

/// A reviewer's answer.
enum Answer {
    Accept,
    Reject,
    Skip,
    Quit,
}

/// Asks until the answer is one of a, r, s, q (the end of input is q).
fn ask(input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<Answer> {
    loop {
        write!(out, "accept (a), reject (r), skip (s), quit (q)? ")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(Answer::Quit);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "accept" => return Ok(Answer::Accept),
            "r" | "reject" => return Ok(Answer::Reject),
            "s" | "skip" => return Ok(Answer::Skip),
            "q" | "quit" => return Ok(Answer::Quit),
            _ => writeln!(out, "answer a, r, s or q")?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot folder with one changed payload pending (`a`) and one new one (`b`).
    fn folder() -> PathBuf {
        let root = std::env::temp_dir().join(format!("dcr-review-{}", uuid::Uuid::new_v4()));
        let dir = root.join("target/cds-au/scenarios");
        std::fs::create_dir_all(&dir).expect("dir");
        let snap =
            |status: u16| format!("---\nsource: features\n---\n{{\n  \"status\": {status}\n}}\n");
        std::fs::write(dir.join("A.snap"), snap(201)).expect("write");
        // insta's own header, as it writes a `.snap.new`.
        std::fs::write(
            dir.join("A.snap.new"),
            "---\nsource: steps/src/scenario/snapshot.rs\nassertion_line: 276\ninput_file: features\n---\n{\n  \"status\": 400\n}\n",
        )
        .expect("write");
        std::fs::write(dir.join("B.snap.new"), snap(200)).expect("write");
        root
    }

    fn args(root: &Path, action: Action) -> SnapshotsArgs {
        SnapshotsArgs {
            action,
            snapshots: Some(root.to_path_buf()),
            target: None,
            only: Vec::new(),
        }
    }

    fn run(args: &SnapshotsArgs, answers: &str) -> String {
        let mut out = Vec::new();
        execute(args, &mut answers.as_bytes(), &mut out).expect("runs");
        String::from_utf8(out).expect("utf-8")
    }

    fn read(root: &Path, name: &str) -> Option<String> {
        std::fs::read_to_string(root.join("target/cds-au/scenarios").join(name)).ok()
    }

    #[test]
    fn review_shows_each_diff_and_does_what_the_answer_says() {
        let root = folder();
        let text = run(&args(&root, Action::Review), "x\na\nr\n");
        assert!(
            text.contains("[1/2] target/cds-au/scenarios/A (changed)"),
            "{text}"
        );
        assert!(text.contains("-  \"status\": 201"), "{text}");
        assert!(text.contains("+  \"status\": 400"), "{text}");
        assert!(
            text.contains("[2/2] target/cds-au/scenarios/B (new)"),
            "{text}"
        );
        assert!(text.contains("answer a, r, s or q"), "{text}");
        assert!(text.contains("1 accepted, 1 rejected, 0 left"), "{text}");
        assert!(read(&root, "A.snap").expect("stored").contains("400"));
        assert_eq!(read(&root, "A.snap.new"), None);
        assert_eq!(read(&root, "B.snap"), None);
        assert_eq!(read(&root, "B.snap.new"), None);
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn the_end_of_input_leaves_the_rest_for_later() {
        let root = folder();
        let text = run(&args(&root, Action::Review), "s\n");
        assert!(text.contains("0 accepted, 0 rejected, 2 left"), "{text}");
        assert!(read(&root, "A.snap.new").is_some());
        assert!(read(&root, "A.snap").expect("stored").contains("201"));
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn accept_and_reject_act_on_every_selected_one() {
        let root = folder();
        let mut only_b = args(&root, Action::Reject);
        only_b.only = vec!["/B".into()];
        assert!(run(&only_b, "").contains("0 accepted, 1 rejected"));
        assert_eq!(read(&root, "B.snap.new"), None);
        assert!(read(&root, "A.snap.new").is_some());
        let text = run(&args(&root, Action::Accept), "");
        assert!(text.contains("1 accepted, 0 rejected"), "{text}");
        assert_eq!(
            read(&root, "A.snap").as_deref(),
            Some("---\nsource: features\n---\n{\n  \"status\": 400\n}\n"),
            "the stored files' header, not insta's"
        );
        assert!(run(&args(&root, Action::List), "").contains("nothing to review"));
        std::fs::remove_dir_all(&root).ok();
    }
}
