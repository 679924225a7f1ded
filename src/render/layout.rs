//! Text layout for terminals: word wrapping and tables that never cut a word.
//!
//! Owns `wrap` (breaks only at spaces; a token longer than the width stays whole on a line of
//! its own) and `Table` (box-drawn columns sized to the width; every column is at least as wide
//! as its longest word, and when even that does not fit the rows are printed as wrapped
//! records instead of a table). Widths are counted in characters. Computes nothing about
//! captures.

use std::fmt;

/// Columns a string takes (one per character: reports hold no wide characters).
pub fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// Word-wraps text to `width` columns, breaking only at whitespace. A word longer than the
/// width is never cut: it stands alone on its line. Line breaks in `text` are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        lines.extend(wrap_line(para, width));
    }
    while lines.last().is_some_and(|l: &String| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn wrap_line(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let w = width_of(word);
        if len > 0 && len + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Wraps `text` to `width` with `first` before the first line and `rest` before the others
/// (a hanging indent: `"• "` then `"  "`).
pub fn hang(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let room = width
        .saturating_sub(width_of(first).max(width_of(rest)))
        .max(1);
    wrap(text, room)
        .into_iter()
        .enumerate()
        .map(|(k, l)| format!("{}{l}", if k == 0 { first } else { rest }))
        .collect()
}

/// Wraps a paragraph that may hold lines of its own: each line is wrapped on its own, and a
/// line that starts with a list marker (`- `, `• `, `* `, `1. `) keeps its continuation lines
/// under the marker's text.
pub fn paragraph(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        let marker = ["- ", "• ", "* "]
            .iter()
            .find(|m| body.starts_with(**m))
            .map(|m| m.len())
            .or_else(|| {
                let digits = body.chars().take_while(char::is_ascii_digit).count();
                (digits > 0 && body[digits..].starts_with(". ")).then_some(digits + 2)
            })
            .unwrap_or(0);
        let first = &line[..indent + marker];
        let rest = " ".repeat(width_of(first));
        out.extend(hang(&line[indent + marker..], width, first, &rest));
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table laid out for a given width.
#[derive(Clone, Debug)]
pub struct Table {
    width: usize,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    align: Vec<Align>,
    folds: Vec<(usize, usize)>,
}

impl Table {
    /// An empty table for `width` columns.
    pub fn new(width: usize) -> Table {
        Table {
            width,
            header: Vec::new(),
            rows: Vec::new(),
            align: Vec::new(),
            folds: Vec::new(),
        }
    }

    /// When the table is too wide, moves column `from` under column `into` (its text on the
    /// next line of the same cell). Folds are tried one after another, in the order given,
    /// before the table falls back to records.
    pub fn fold(&mut self, from: usize, into: usize) -> &mut Self {
        self.folds.push((from, into));
        self
    }

    /// The table with the first `k` folds applied.
    fn folded(&self, k: usize) -> Table {
        let folds = &self.folds[..k];
        let merge = |row: &[String], sep: &str| -> Vec<String> {
            let mut cells: Vec<String> = row.to_vec();
            for &(from, into) in folds {
                let moved = std::mem::take(&mut cells[from]);
                if !moved.trim().is_empty() {
                    if cells[into].trim().is_empty() {
                        cells[into] = moved;
                    } else {
                        cells[into] = format!("{}{sep}{moved}", cells[into]);
                    }
                }
            }
            cells
                .into_iter()
                .enumerate()
                .filter(|(c, _)| !folds.iter().any(|f| f.0 == *c))
                .map(|(_, v)| v)
                .collect()
        };
        Table {
            width: self.width,
            header: merge(&self.header, " / "),
            rows: self.rows.iter().map(|r| merge(r, "\n")).collect(),
            align: self
                .align
                .iter()
                .enumerate()
                .filter(|(c, _)| !folds.iter().any(|f| f.0 == *c))
                .map(|(c, a)| {
                    if folds.iter().any(|f| f.1 == c) {
                        Align::Left
                    } else {
                        *a
                    }
                })
                .collect(),
            folds: Vec::new(),
        }
    }

    /// Sets the column headings.
    pub fn set_header<S: Into<String>>(
        &mut self,
        header: impl IntoIterator<Item = S>,
    ) -> &mut Self {
        self.header = header.into_iter().map(Into::into).collect();
        self.align = vec![Align::Left; self.header.len()];
        self
    }

    /// Right-aligns a column.
    pub fn right(&mut self, column: usize) -> &mut Self {
        if let Some(a) = self.align.get_mut(column) {
            *a = Align::Right;
        }
        self
    }

    /// Adds a row (missing cells are empty, extra cells are dropped).
    pub fn add_row<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) -> &mut Self {
        let mut r: Vec<String> = row.into_iter().map(Into::into).collect();
        r.resize(self.header.len(), String::new());
        self.rows.push(r);
        self
    }

    /// Rows added so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Column widths that fit, or `None` when the longest words alone are too wide.
    fn widths(&self) -> Option<Vec<usize>> {
        let n = self.header.len();
        let mut most = vec![1usize; n];
        let mut least = vec![1usize; n];
        // headings wrap rather than widen a column: only their longest word counts
        for (row, r) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            for (k, cell) in r.iter().enumerate() {
                for line in cell.split('\n') {
                    if row > 0 {
                        most[k] = most[k].max(width_of(line.trim()));
                    }
                    for word in line.split_whitespace() {
                        least[k] = least[k].max(width_of(word));
                        most[k] = most[k].max(width_of(word));
                    }
                }
            }
        }
        let room = self.width.checked_sub(3 * n + 1)?;
        if most.iter().sum::<usize>() <= room {
            return Some(most);
        }
        if least.iter().sum::<usize>() > room {
            return None;
        }
        // every column gets its longest word; the rest of the room is shared out fairly,
        // columns that want least first, so a column one short is not left cutting a line
        let mut widths = least;
        let mut left = room - widths.iter().sum::<usize>();
        let mut order: Vec<usize> = (0..n).filter(|&k| widths[k] < most[k]).collect();
        order.sort_by_key(|&k| most[k] - widths[k]);
        let mut remaining = order.len();
        for k in order {
            let give = (most[k] - widths[k]).min(left / remaining);
            widths[k] += give;
            left -= give;
            remaining -= 1;
        }
        Some(widths)
    }

    /// The table's lines (without line ends).
    pub fn lines(&self) -> Vec<String> {
        if self.header.is_empty() {
            return Vec::new();
        }
        for k in 0..=self.folds.len() {
            let t = self.folded(k);
            if let Some(w) = t.widths() {
                return t.boxed(&w);
            }
        }
        self.records()
    }

    fn rule(widths: &[usize], left: &str, fill: &str, mid: &str, right: &str) -> String {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{right}", parts.join(mid))
    }

    fn row_lines(&self, row: &[String], widths: &[usize]) -> Vec<String> {
        let wrapped: Vec<Vec<String>> = row
            .iter()
            .zip(widths)
            .map(|(cell, &w)| wrap(cell, w))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        (0..height)
            .map(|i| {
                let cells: Vec<String> = wrapped
                    .iter()
                    .zip(widths)
                    .zip(&self.align)
                    .map(|((lines, &w), align)| {
                        let text = lines.get(i).map(String::as_str).unwrap_or("");
                        let pad = " ".repeat(w.saturating_sub(width_of(text)));
                        match align {
                            Align::Left => format!("{text}{pad}"),
                            Align::Right => format!("{pad}{text}"),
                        }
                    })
                    .collect();
                format!("│ {} │", cells.join(" ┆ "))
            })
            .collect()
    }

    fn boxed(&self, widths: &[usize]) -> Vec<String> {
        let mut out = vec![Self::rule(widths, "┌", "─", "┬", "┐")];
        let header_align = Table {
            align: vec![Align::Left; widths.len()],
            ..self.clone()
        };
        out.extend(header_align.row_lines(&self.header, widths));
        out.push(Self::rule(widths, "╞", "═", "╪", "╡"));
        for row in &self.rows {
            out.extend(self.row_lines(row, widths));
        }
        out.push(Self::rule(widths, "└", "─", "┴", "┘"));
        out
    }

    /// Rows as wrapped records (`• layer: …` then `budget: … · peak: …` under it), for widths
    /// where the columns cannot stand side by side without cutting words.
    fn records(&self) -> Vec<String> {
        let one = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        for row in &self.rows {
            let fields: Vec<(String, &String)> = self
                .header
                .iter()
                .zip(row)
                .filter(|(_, v)| !v.trim().is_empty() && v.trim() != "-")
                .map(|(h, v)| (one(h), v))
                .collect();
            let Some(((h, v), rest)) = fields.split_first() else {
                continue;
            };
            out.extend(hang(&format!("{h}: {}", one(v)), self.width, "• ", "  "));
            // short fields share a line; a field of several lines gets lines of its own
            let (long, short): (Vec<_>, Vec<_>) = rest.iter().partition(|(_, v)| v.contains('\n'));
            let packed: Vec<String> = short
                .iter()
                .map(|(h, v)| format!("{h}: {}", one(v)))
                .collect();
            if !packed.is_empty() {
                out.extend(hang(&packed.join(" · "), self.width, "  ", "  "));
            }
            for (h, v) in long {
                out.push(format!("  {h}:"));
                for line in v.split('\n').filter(|l| !l.trim().is_empty()) {
                    out.extend(hang(line.trim(), self.width, "    ", "    "));
                }
            }
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_only() {
        assert_eq!(wrap("aa bb cc dd", 5), vec!["aa bb", "cc dd"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(
            wrap("see org.app.user.rate.per.minute now", 10),
            vec!["see", "org.app.user.rate.per.minute", "now"]
        );
        assert_eq!(wrap("one\ntwo three", 20), vec!["one", "two three"]);
    }

    #[test]
    fn list_items_hang_under_their_text() {
        assert_eq!(
            paragraph("What to do:\n- send one at a time and wait", 16),
            vec!["What to do:", "- send one at a", "  time and wait"]
        );
    }

    #[test]
    fn tables_fit_and_never_cut_a_word() {
        let mut t = Table::new(50);
        t.set_header(["layer", "budget", "peak"]).right(2);
        t.add_row(["org.app.user.rate.per.minute", "300 / 60 s", "5"]);
        let lines = t.lines();
        assert!(lines.iter().all(|l| width_of(l) <= 50), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("300 / 60")), "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("org.app.user.rate.per.minute"))
        );
        assert!(lines.iter().any(|l| l.contains("┆    5 │")), "{lines:#?}");
    }

    #[test]
    fn tables_too_wide_for_their_words_become_records() {
        let mut t = Table::new(30);
        t.set_header(["layer", "source"]);
        t.add_row([
            "org.user.rate",
            "https://example.com/a/very/long/citation#anchor",
        ]);
        assert_eq!(
            t.lines(),
            vec![
                "• layer: org.user.rate",
                "  source:",
                "  https://example.com/a/very/long/citation#anchor"
            ]
        );
    }

    #[test]
    fn folds_move_columns_under_others_before_giving_up() {
        let mut t = Table::new(40);
        t.set_header(["endpoint", "host", "requests"])
            .right(2)
            .fold(1, 0);
        t.add_row(["/api/v2/users/{userId}", "api.example.com", "12"]);
        let lines = t.lines();
        assert!(lines.iter().all(|l| width_of(l) <= 40), "{lines:#?}");
        assert!(lines[1].contains("endpoint / host"), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l.contains("│ api.example.com ")),
            "{lines:#?}"
        );
    }
}
