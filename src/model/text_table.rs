//! `TextTable`: many strings from a capture in one buffer, read back by index.
//!
//! Owns the storage of per-request capture text that a day-long capture holds once per request
//! (concrete paths with ids, correlation ids): one `String` and one end offset per entry,
//! instead of a heap allocation and a 24-byte header each. Entries are capture text, so they
//! are handed out only as `Sensitive<&str>`. It must not offer a way to read an entry in
//! clear. Pure data.

use super::{Sensitive, Sym};

/// Strings stored end to end, indexed by insertion order. Its `Debug` shows the number of
/// entries only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextTable {
    text: String,
    ends: Vec<u64>,
}

impl TextTable {
    /// Appends an entry; returns its index.
    pub fn push(&mut self, s: &str) -> Sym {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u64);
        (self.ends.len() - 1) as Sym
    }

    /// The entry at `i`.
    pub fn get(&self, i: Sym) -> Sensitive<&str> {
        Sensitive::new(self.raw(i))
    }

    /// The entry at `i` in clear, for the table's owners in this crate (interning, equality).
    pub(crate) fn raw(&self, i: Sym) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Sensitive<&str>> + '_ {
        (0..self.ends.len() as Sym).map(|i| self.get(i))
    }

    /// Gives back spare capacity once the table is complete.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl std::fmt::Debug for TextTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TextTable({} entries, <redacted>)", self.ends.len())
    }
}

impl<'a> FromIterator<&'a str> for TextTable {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut t = TextTable::default();
        for s in iter {
            t.push(s);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_as_pushed_including_empty_ones() {
        let mut t = TextTable::default();
        assert_eq!(t.push("/api/v2/users/1"), 0);
        assert_eq!(t.push(""), 1);
        assert_eq!(t.push("/a"), 2);
        assert_eq!(t.len(), 3);
        assert_eq!(t.raw(0), "/api/v2/users/1");
        assert_eq!(t.raw(1), "");
        assert_eq!(*t.get(2).expose_for_computation(), "/a");
        let all: Vec<&str> = t.iter().map(|s| *s.expose_for_computation()).collect();
        assert_eq!(all, ["/api/v2/users/1", "", "/a"]);
    }

    #[test]
    fn debug_shows_no_entry() {
        let t: TextTable = ["/api/v2/users/secret-id"].into_iter().collect();
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(shown, "TextTable(1 entries, <redacted>)");
    }
}
