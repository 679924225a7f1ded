//! `why429 profiles`: list the built-in limit profiles, show one, or check a file.

use crate::profiles::{self, Profile};
use crate::render::layout::{Table, wrap};
use crate::render::plural;

use super::common::{self, load_profiles};
use super::{Failure, Outcome};

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
    /// Show a profile's layers with their sources.
    Show {
        /// A built-in name or a TOML file.
        #[arg(value_name = "NAME|FILE")]
        profile: String,
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

fn show(p: &Profile) -> String {
    let width = common::terminal_width() as usize;
    let mut head = vec![format!("{} — {}", p.name, p.description)];
    if !p.hosts.is_empty() {
        let hosts: Vec<&str> = p.hosts.iter().map(|h| h.as_str()).collect();
        head.push(format!("hosts: {}", hosts.join(", ")));
    }
    if let Some(v) = &p.verified {
        head.push(format!("verified: {v}"));
    }
    let mut s = String::new();
    for line in head.iter().flat_map(|h| wrap(h, width)) {
        s.push_str(&line);
        s.push('\n');
    }
    if p.layers.is_empty() {
        s.push_str("layers: inferred from each capture's rate-limit headers\n");
        return s;
    }
    let mut t = table();
    t.set_header(vec!["layer", "budget", "per", "counts", "source / note"]);
    for l in &p.layers {
        let mut filter: Vec<String> = Vec::new();
        if !l.methods.is_empty() {
            filter.push(
                l.methods
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
        if let Some(tpl) = &l.template {
            filter.push(tpl.as_str().to_string());
        }
        if let Some(ps) = l.page_size {
            filter.push(format!("pageSize {}–{}", ps.min, ps.max));
        }
        if l.counts_preflight {
            filter.push("preflights too".into());
        }
        let mut src = l.source.clone().unwrap_or_default();
        if let Some(n) = &l.note {
            src.push_str("\nnote: ");
            src.push_str(n);
        }
        t.add_row(vec![
            l.name.clone(),
            format!("{} ({})", l.budget_label(), l.algorithm.as_str()),
            l.partition_label(),
            if filter.is_empty() {
                "all requests".into()
            } else {
                filter.join(" ")
            },
            src,
        ]);
    }
    s.push_str(&t.to_string());
    s.push('\n');
    s
}

/// Runs `profiles`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let text = match args.action.unwrap_or(Action::List) {
        Action::List => {
            let mut t = table();
            t.set_header(vec!["profile", "layers", "hosts", "description"]);
            for p in profiles::builtin() {
                let hosts: Vec<&str> = p.hosts.iter().map(|h| h.as_str()).collect();
                t.add_row(vec![
                    p.name.clone(),
                    if p.layers.is_empty() {
                        "inferred".into()
                    } else {
                        p.layers.len().to_string()
                    },
                    if hosts.is_empty() {
                        "any".into()
                    } else {
                        hosts.join("\n")
                    },
                    p.description.clone(),
                ]);
            }
            format!(
                "{t}\nshow one with `why429 profiles show NAME`; check your own with `why429 profiles check FILE`\n"
            )
        }
        Action::Show { profile } => {
            let p = load_profiles(&[profile])?;
            show(&p[0])
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
