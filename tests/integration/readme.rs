//! The README's shell snippets run as written: every line of a ```` ```sh ```` block and every
//! `run:`/`script:` of a YAML block that invokes `why429` or `cargo run`, on bundled captures.
//!
//! How a snippet is run (the README says the same, under "In CI"): `cargo run --release --`
//! and `why429` are the binary under test (first on `PATH`), `cargo install` lines are
//! skipped, `fixtures/` is this repository's, and `e2e/captures` is a folder of bundled
//! captures with `e2e/why429-baseline.json` its `check --format json` report. Each snippet
//! must parse (`bash -n`) and exit as the README's exit codes say: 0 on captures without a 429,
//! and for `check` 1 once the forum thread (four 429s) is in the folder.

use std::path::Path;
use std::process::Command;

use super::support;

/// A snippet and where it came from.
#[derive(Debug)]
struct Snippet {
    line: usize,
    script: String,
}

fn runs_why429(line: &str) -> bool {
    let l = line.trim_start();
    (l.starts_with("why429 ") || l.starts_with("cargo run")) && !l.starts_with("cargo install")
}

/// Joins `\`-continued lines.
fn commands(lines: &[(usize, String)]) -> Vec<Snippet> {
    let mut out = Vec::new();
    let mut current: Option<Snippet> = None;
    for (n, line) in lines {
        let text = line.trim();
        match current.as_mut() {
            Some(s) => {
                s.script.push('\n');
                s.script.push_str(text);
            }
            None if runs_why429(text) => {
                current = Some(Snippet {
                    line: *n,
                    script: text.to_string(),
                })
            }
            None => continue,
        }
        if !text.ends_with('\\') {
            out.extend(current.take());
        }
    }
    out
}

/// Every snippet of the README, in order.
fn snippets(readme: &str) -> Vec<Snippet> {
    let lines: Vec<(usize, &str)> = readme
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (_, line) = lines[i];
        let Some(info) = line.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let info = info.trim().to_string();
        let end = lines[i + 1..]
            .iter()
            .position(|(_, l)| l.starts_with("```"))
            .map(|k| i + 1 + k)
            .unwrap_or(lines.len());
        let body: Vec<(usize, &str)> = lines[i + 1..end].to_vec();
        match info.as_str() {
            "sh" | "bash" | "shell" => {
                let body: Vec<(usize, String)> =
                    body.iter().map(|(n, l)| (*n, l.to_string())).collect();
                out.extend(commands(&body));
            }
            "yaml" | "yml" => out.extend(yaml_commands(&body)),
            _ => {}
        }
        i = end + 1;
    }
    out
}

/// The shell lines of `run:` and `script:` keys.
fn yaml_commands(body: &[(usize, &str)]) -> Vec<Snippet> {
    let mut shell: Vec<(usize, String)> = Vec::new();
    let mut k = 0;
    while k < body.len() {
        let (n, line) = body[k];
        let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
        let indent = line.len() - line.trim_start().len();
        if let Some(rest) = trimmed.strip_prefix("run:") {
            let rest = rest.trim();
            if rest == "|" || rest == ">" {
                k += 1;
                while k < body.len() {
                    let (m, l) = body[k];
                    let ind = l.len() - l.trim_start().len();
                    if !l.trim().is_empty() && ind <= indent {
                        break;
                    }
                    shell.push((m, l.to_string()));
                    k += 1;
                }
                continue;
            }
            shell.push((n, rest.to_string()));
        } else if trimmed.starts_with("script:") {
            k += 1;
            while k < body.len() {
                let (m, l) = body[k];
                let ind = l.len() - l.trim_start().len();
                if !l.trim().is_empty() && ind <= indent {
                    break;
                }
                if let Some(cmd) = l.trim_start().strip_prefix("- ") {
                    shell.push((m, cmd.to_string()));
                }
                k += 1;
            }
            continue;
        }
        k += 1;
    }
    commands(&shell)
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(support::fixtures().join(from), to).unwrap();
}

/// A working directory as the README's snippets expect it.
fn workspace(with_429s: bool) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::os::unix::fs::symlink(support::fixtures(), root.join("fixtures")).unwrap();
    let bin = root.join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("why429"), bin.join("why429")).unwrap();
    let captures = root.join("e2e/captures");
    copy(
        "lab/t02_steady_wallboard_no_429.har",
        &captures.join("wallboard.har"),
    );
    copy(
        "public/chrome-devtools-51-multipage.har",
        &captures.join("pages/chrome.har"),
    );
    let out = shell(root, "why429 check e2e/captures --format json");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    std::fs::write(root.join("e2e/why429-baseline.json"), &out.stdout).unwrap();
    if with_429s {
        copy("forum-thread.har", &captures.join("ivr/forum.har"));
    }
    d
}

fn shell(cwd: &Path, script: &str) -> std::process::Output {
    let path = format!(
        "{}:{}",
        cwd.join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .current_dir(cwd)
        .env("PATH", path)
        .env("WHY429_FINGERPRINT_KEY", "readme")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["-c", script])
        .output()
        .unwrap()
}

/// The snippet as run: `cargo run --release --` is the binary under test.
fn as_run(script: &str) -> String {
    script
        .replace("cargo run --release --", "why429")
        .replace("cargo run --", "why429")
}

#[test]
fn readme_snippets_run() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let all = snippets(&readme);
    assert!(
        all.iter()
            .any(|s| s.script.contains("--fail-on 'utilization>=80%'")),
        "{all:#?}"
    );
    assert!(all.iter().any(|s| s.script.contains("--format junit")));
    assert!(all.iter().any(|s| s.script.contains("--fail-on new")));
    assert!(all.iter().any(|s| s.script.starts_with("cargo run")));
    for with_429s in [false, true] {
        let ws = workspace(with_429s);
        for s in &all {
            let script = as_run(&s.script);
            let syntax = Command::new("bash")
                .args(["-n", "-c", &script])
                .output()
                .unwrap();
            assert!(syntax.status.success(), "README line {}: {script}", s.line);
            let out = shell(ws.path(), &script);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let check = script.starts_with("why429 check");
            let want = if check && with_429s { 1 } else { 0 };
            assert_eq!(
                out.status.code(),
                Some(want),
                "README line {} ({}429s): {script}\n{stderr}",
                s.line,
                if with_429s { "" } else { "no " }
            );
            assert!(
                !stderr.contains("error:"),
                "README line {}: {stderr}",
                s.line
            );
            assert!(
                !stderr.contains("hint:"),
                "README line {}: {stderr}",
                s.line
            );
            // nothing the shell made of an unquoted condition
            for e in std::fs::read_dir(ws.path()).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(!name.ends_with('%'), "README line {}: {name}", s.line);
            }
            if let Some((_, file)) = script.split_once("> ") {
                let written = std::fs::read_to_string(ws.path().join(file.trim())).unwrap();
                if file.trim().ends_with(".xml") {
                    assert!(written.starts_with("<?xml"), "README line {}", s.line);
                }
            }
        }
    }
}

#[test]
fn the_old_unquoted_recipe_is_caught() {
    let old = "```yaml\n- name: x\n  run: |\n    cargo install --locked --path why429\n    why429 check e2e/captures --fail-on utilization>=80% \\\n      --format github\n```\n";
    let s = snippets(old);
    assert_eq!(s.len(), 1, "{s:?}");
    let ws = workspace(false);
    let out = shell(ws.path(), &as_run(&s[0].script));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("quote it"));
    assert!(ws.path().join("=80%").exists());
}
