//! `why429 profiles`: list the built-in limit profiles, show one (in words or as TOML to copy),
//! write a commented scaffold for a new one, or check a file.

use crate::profiles::{self, Profile};
use crate::render::layout::Table;
use crate::render::plural;

use super::common::{self, load_profiles};
use super::{Failure, Outcome};

/// Widest line `profiles show` writes without a terminal, URLs aside (they are never broken).
#[cfg(test)]
const WIDTH: usize = 100;

/// `profiles` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List the built-in profiles (the default).
    List,
    /// Show a profile's layers with their sources, or (--toml) the profile as TOML to copy.
    Show {
        /// A built-in name or a TOML file.
        #[arg(value_name = "NAME|FILE")]
        profile: String,
        /// Print the profile as TOML (a built-in's file with its comments, or your file's text),
        /// to save and edit: `why429 profiles show okta --toml > my-okta.toml`.
        #[arg(long)]
        toml: bool,
    },
    /// Print a commented profile to start from: every key explained, one example layer of each
    /// limiter (windows, sliding counter, token and leaky buckets, GCRA, concurrency).
    New {
        /// The new profile's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Validate a profile file; exit 2 with file:line and key on the first error.
    Check {
        /// The TOML file.
        #[arg(value_name = "FILE")]
        file: String,
    },
}

fn table() -> Table {
    Table::new(common::terminal_width() as usize)
}

/// Wraps `text` after `label` at word boundaries, continuation lines indented by `indent`;
/// a word longer than a line (a URL) stays whole on its own line.
fn wrapped(label: &str, text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = label.to_string();
    // after a label, a word that does not fit moves to its own line like any other
    let mut fresh = label.is_empty();
    for word in text.split_whitespace() {
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn show(p: &Profile) -> String {
    show_at(p, common::terminal_width() as usize)
}

/// `profiles show` at a given width.
fn show_at(p: &Profile, width: usize) -> String {
    let mut s = wrapped("", &format!("{} — {}", p.name, p.description), 2, width);
    if !p.hosts.is_empty() {
        let hosts: Vec<&str> = p.hosts.iter().map(|h| h.as_str()).collect();
        s.push_str(&wrapped("hosts:", &hosts.join(", "), 2, width));
    }
    if let Some(v) = &p.verified {
        s.push_str(&wrapped("verified:", v, 2, width));
    }
    if p.throttle_status != [429] || !p.throttle_codes.is_empty() {
        let mut t: Vec<String> = p.throttle_status.iter().map(u16::to_string).collect();
        t.extend(
            p.throttle_codes
                .iter()
                .map(|c| format!("body code {}", crate::normalize::dialects::code(*c).name)),
        );
        s.push_str(&wrapped("throttles:", &t.join(", "), 2, width));
    }
    if let Some(h) = &p.hidden_sources {
        s.push_str(&wrapped("traffic outside a capture:", h, 2, width));
    }
    for c in &p.confirm {
        s.push_str(&wrapped("confirm:", c, 2, width));
    }
    if p.layers.is_empty() {
        s.push_str("layers: inferred from each capture's rate-limit headers\n");
        return s;
    }
    s.push_str(&format!("\n{}:\n", plural(p.layers.len() as u64, "layer")));
    for l in &p.layers {
        s.push('\n');
        s.push_str(&format!("{}\n", l.name));
        let mut limiter = format!("{} ({})", l.budget_label(), l.limiter.algorithm());
        if let profiles::Limiter::Concurrency { min_age, .. } = l.limiter
            && min_age > 0
        {
            limiter.push_str(&format!(
                ", counting requests in flight ≥ {}",
                crate::model::time::human_duration(min_age)
            ));
        }
        if l.unit != crate::model::Unit::Requests || l.cost.from.is_some() {
            let unit = match l.unit {
                crate::model::Unit::Points => "points",
                crate::model::Unit::Tokens => "tokens",
                crate::model::Unit::Bytes => "bytes",
                crate::model::Unit::Concurrent => "requests in flight",
                crate::model::Unit::Requests => "requests",
            };
            let mut cost = format!("counted in {unit}");
            if let Some(f) = &l.cost.from {
                cost.push_str(&format!(", cost from {}", f.spec()));
            }
            limiter.push_str(&format!("; {cost}"));
        }
        s.push_str(&wrapped("  limiter:", &limiter, 4, width));
        s.push_str(&wrapped("  per:", &l.partition_label(), 4, width));
        let mut counts = l.filter_label().unwrap_or_else(|| "all requests".into());
        if let Some(ps) = l.page_size {
            counts.push_str(&format!(", pageSize {}–{}", ps.min, ps.max));
        }
        match l.credential {
            Some(true) => counts.push_str(", with a credential only"),
            Some(false) => counts.push_str(", without a credential only"),
            None => {}
        }
        if l.counts_preflight {
            counts.push_str(", preflights too");
        }
        s.push_str(&wrapped("  counts:", &counts, 4, width));
        if let Some(a) = &l.assumption {
            s.push_str(&wrapped("  assumes:", a, 4, width));
        }
        if let Some(src) = &l.source {
            // a URL is written whole, on its own line when it is long
            s.push_str(&wrapped("  source:", src, 4, width));
        }
        if let Some(n) = &l.note {
            s.push_str(&wrapped("  note:", n, 4, width));
        }
    }
    s
}

/// The TOML to print for `profiles show --toml`: a built-in's embedded file, or the user's file
/// as written (after checking it parses).
fn toml_of(name_or_file: &str) -> Result<String, Failure> {
    if let Some(text) = profiles::builtin_text(name_or_file) {
        return Ok(text.to_string());
    }
    // a file: load_profiles names the error (no such built-in or file, or where it is invalid)
    load_profiles(&[name_or_file.to_string()])?;
    std::fs::read_to_string(name_or_file)
        .map_err(|e| Failure(format!("{name_or_file}: cannot read: {}", e.kind())))
}

/// Runs `profiles`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let text = match args.action.unwrap_or(Action::List) {
        Action::List => {
            let mut t = table();
            t.set_header(vec![
                "profile",
                "layers",
                "verified",
                "hosts",
                "description",
            ]);
            for p in profiles::builtin() {
                let hosts: Vec<&str> = p.hosts.iter().map(|h| h.as_str()).collect();
                t.add_row(vec![
                    p.name.clone(),
                    if p.layers.is_empty() {
                        "inferred".into()
                    } else {
                        p.layers.len().to_string()
                    },
                    p.verified.clone().unwrap_or_else(|| "-".into()),
                    if hosts.is_empty() {
                        "any".into()
                    } else {
                        hosts.join("\n")
                    },
                    p.description.clone(),
                ]);
            }
            format!(
                "{t}\nshow one with `why429 profiles show NAME` (add --toml for a file to edit); start your own with `why429 profiles new NAME`; check it with `why429 profiles check FILE`\n"
            )
        }
        Action::Show { profile, toml } => {
            if toml {
                toml_of(&profile)?
            } else {
                let p = load_profiles(&[profile])?;
                show(&p[0])
            }
        }
        Action::New { name } => {
            if name.trim().is_empty() {
                return Err(Failure(
                    "profiles new: the name is empty: give the API's name, e.g. `why429 profiles new my-api > my-api.toml`"
                        .into(),
                ));
            }
            profiles::scaffold::scaffold(name.trim())
        }
        Action::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure(format!("{file}: cannot read: {}", e.kind())))?;
            let p = profiles::parse::parse(&file, &text)?;
            format!(
                "{file}: ok — profile `{}`, {}\n",
                p.name,
                plural(p.layers.len() as u64, "layer")
            )
        }
    };
    common::write_stdout(text.as_bytes())?;
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_never_breaks_a_url_and_keeps_lines_short() {
        for p in profiles::builtin() {
            let text = show_at(&p, WIDTH);
            for l in &p.layers {
                if let Some(src) = &l.source {
                    assert!(
                        text.lines().any(|line| line.contains(src.as_str())),
                        "{}: {src} is broken across lines",
                        p.name
                    );
                }
            }
            for line in text.lines() {
                let long_word = line
                    .split_whitespace()
                    .any(|w| w.chars().count() > WIDTH / 2);
                assert!(
                    line.chars().count() <= WIDTH || long_word,
                    "{}: line too long: {line}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let w = wrapped("  note:", &"word ".repeat(40), 4, WIDTH);
        assert!(w.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(w.lines().skip(1).all(|l| l.starts_with("    word")));
        let url = format!("https://example.com/{}", "a".repeat(120));
        let w = wrapped("  source:", &url, 4, WIDTH);
        assert_eq!(w, format!("  source:\n    {url}\n"));
        let short = "https://example.com/a";
        assert_eq!(
            wrapped("  source:", short, 4, WIDTH),
            format!("  source: {short}\n")
        );
        let w = wrapped("  note:", &format!("see {url} for more"), 4, WIDTH);
        assert!(w.lines().any(|l| l.trim() == url), "{w}");
    }
}
