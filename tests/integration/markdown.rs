//! The Markdown report read by a CommonMark/GFM parser, as GitHub and Discourse read it: every
//! link leads exactly to an address the report cites, every table is a table with its columns,
//! and no raw HTML but the evidence `<details>` blocks.

use std::collections::BTreeSet;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;
use why429::render::{self, Format, Style};
use why429::report::{self, Report};

use super::support;

/// Every web address in the report: citations, and addresses inside its sentences.
fn cited(r: &Report) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => {
                out.insert(s.trim().to_string());
                for word in s.split_whitespace() {
                    let Some(at) = word.find("http") else {
                        continue;
                    };
                    let mut w = &word[at..];
                    loop {
                        let t = w.trim_end_matches(['.', ',', ';', ':']);
                        let t = if t.ends_with(')')
                            && t.matches(')').count() > t.matches('(').count()
                        {
                            &t[..t.len() - 1]
                        } else {
                            t
                        };
                        if t.len() == w.len() {
                            break;
                        }
                        w = t;
                    }
                    if w.starts_with("http://") || w.starts_with("https://") {
                        out.insert(w.to_string());
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(&serde_json::to_value(r).unwrap(), &mut out);
    out
}

/// Pipes that separate cells on a table line (not escaped).
fn separators(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

/// Column count of each table the report writes, by the first heading cell.
fn expected_columns(first: &str) -> usize {
    match first {
        "entry" => 7,
        "layer" => 8,
        "method" => 7,
        "client" => 4,
        other => panic!("a table the test does not know: {other}"),
    }
}

fn check(name: &str, md: &str, r: &Report) {
    let urls = cited(r);
    let details = Regex::new(r"^(<details><summary>[^<>]*</summary>|</details>)$").unwrap();
    let mut links = Vec::new();
    let mut tables = 0;
    let mut columns = 0;
    let mut cells = 0;
    let mut first_heading: Option<String> = None;
    let mut in_head = false;
    let mut heading_text = String::new();
    let mut row: Option<Range<usize>> = None;
    for (event, range) in Parser::new_ext(md, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Html(h) | Event::InlineHtml(h) => {
                for line in h.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    assert!(details.is_match(line), "{name}: raw HTML {line:?}");
                }
            }
            Event::Start(Tag::Table(align)) => {
                tables += 1;
                columns = align.len();
                first_heading = None;
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                in_head = matches!(event, Event::Start(Tag::TableHead));
                cells = 0;
                row = Some(range.clone());
            }
            Event::Start(Tag::TableCell) => {
                cells += 1;
                heading_text.clear();
            }
            Event::Text(t) if in_head => heading_text.push_str(&t),
            Event::End(TagEnd::TableCell) if in_head && first_heading.is_none() => {
                first_heading = Some(heading_text.trim().to_string());
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                let line = &md[row.take().unwrap()];
                let want = expected_columns(first_heading.as_deref().unwrap_or(""));
                assert_eq!(columns, want, "{name}: {line}");
                assert_eq!(cells, want, "{name}: {line}");
                // a pipe the renderer failed to escape would add a cell the parser drops
                assert_eq!(
                    separators(line.trim()),
                    want + 1,
                    "{name}: cells in {line:?}"
                );
                in_head = false;
            }
            _ => {}
        }
    }
    let written = md.lines().filter(|l| l.starts_with("|---")).count();
    assert_eq!(
        tables, written,
        "{name}: tables that did not parse as tables"
    );
    for dest in &links {
        assert!(
            urls.contains(dest),
            "{name}: a link leads to {dest:?}, which the report does not cite"
        );
    }
    // every citation of a layer in the table is a working link
    for c in &r.captures {
        for l in c.layers.iter().filter(|l| l.counted > 0) {
            if let Some(s) = l.source.as_deref().filter(|s| s.starts_with("https://")) {
                assert!(links.iter().any(|d| d == s), "{name}: {s} is not a link");
            }
        }
    }
}

fn render(r: &Report) -> String {
    let mut buf = Vec::new();
    render::renderer(Format::Markdown, Style::default())
        .render(r, &mut buf)
        .unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn markdown_links_tables_and_html_survive_a_gfm_parser() {
    let settings = support::partial(support::settings(Vec::new()));
    let mut n = 0;
    for path in support::every_capture() {
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        let r = Report::new(vec![report::build(&a, Default::default())], &[]);
        check(&path.display().to_string(), &render(&r), &r);
        n += 1;
    }
    assert!(n > 60, "{n}");
}

#[test]
fn citations_with_anchors_and_hostile_text_stay_links() {
    let a = support::analyze(
        &support::fixtures().join("forum-thread.har"),
        &support::settings(Vec::new()),
    )
    .unwrap();
    let mut c = report::build(&a, Default::default());
    let layer = c.layers.iter_mut().find(|l| l.counted > 0).unwrap();
    layer.source = Some("https://docs.test/limits_(per user)#a_b".into());
    layer.name = "a|b*c_d#e".into();
    let second = c
        .layers
        .iter_mut()
        .filter(|l| l.counted > 0)
        .nth(1)
        .unwrap();
    second.source = Some("https://docs.test/rate-limits#per_user-limits".into());
    c.verdict = "see https://docs.test/x_y#z_w, then (https://docs.test/q_(r)).".into();
    c.verdict_parts.headline = c.verdict.clone();
    let r = Report::new(vec![c], &[]);
    let md = render(&r);
    assert!(
        md.contains("[docs.test/rate-limits#per\\_user-limits](https://docs.test/rate-limits#per_user-limits)"),
        "{md}"
    );
    assert!(md.contains("<https://docs.test/x_y#z_w>,"), "{md}");
    check("edited forum thread", &md, &r);
}
