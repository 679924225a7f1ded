//! Interning tables that store each distinct value once.
//!
//! Owns `Interner<T>`: values kept in insertion order and found again through a map from their
//! hash to the first index, with a chain for the rare collisions — so a table of a million
//! unique values holds each once, not twice — and `TextInterner`, the same for strings kept
//! end to end in one buffer (paths). Pure.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};

use crate::model::{Sym, TextTable};

const NONE: u32 = u32::MAX;

/// Values in insertion order, each stored once.
pub struct Interner<T> {
    items: Vec<T>,
    first: HashMap<u64, u32>,
    next: Vec<u32>,
    hasher: RandomState,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            items: Vec::new(),
            first: HashMap::new(),
            next: Vec::new(),
            hasher: RandomState::new(),
        }
    }
}

impl<T: Hash + Eq> Interner<T> {
    /// The symbol of a value, adding it (made by `make`) when new.
    pub fn intern<Q>(&mut self, value: &Q, make: impl FnOnce(&Q) -> T) -> Sym
    where
        Q: Hash + ?Sized,
        T: PartialEq<Q>,
    {
        let h = self.hasher.hash_one(value);
        let mut at = self.first.get(&h).copied().unwrap_or(NONE);
        let head = at;
        while at != NONE {
            if self.items[at as usize] == *value {
                return at;
            }
            at = self.next[at as usize];
        }
        let sym = self.items.len() as u32;
        self.items.push(make(value));
        self.next.push(head);
        self.first.insert(h, sym);
        sym
    }

    /// The values, by symbol.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The values, by symbol.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Strings interned under a small key (the host of a path), stored end to end in a
/// `TextTable`: a million unique paths cost their bytes and a few words each, not a heap
/// allocation each.
#[derive(Default)]
pub struct TextInterner {
    table: TextTable,
    keys: Vec<Sym>,
    first: HashMap<u64, u32>,
    next: Vec<u32>,
    hasher: RandomState,
}

impl TextInterner {
    /// The symbol of `text` under `key`, adding it when new.
    pub fn intern(&mut self, key: Sym, text: &str) -> Sym {
        let h = self.hasher.hash_one((key, text));
        let head = self.first.get(&h).copied().unwrap_or(NONE);
        let mut at = head;
        while at != NONE {
            if self.keys[at as usize] == key && self.table.raw(at) == text {
                return at;
            }
            at = self.next[at as usize];
        }
        let sym = self.table.push(text);
        self.keys.push(key);
        self.next.push(head);
        self.first.insert(h, sym);
        sym
    }

    /// The key and text of a symbol, in clear, for the builder (capture text: never public).
    pub(crate) fn get(&self, sym: Sym) -> (Sym, &str) {
        (self.keys[sym as usize], self.table.raw(sym))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The table of texts, by symbol.
    pub fn into_table(self) -> TextTable {
        let mut t = self.table;
        t.shrink_to_fit();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_intern_once_per_key() {
        let mut i = TextInterner::default();
        assert_eq!(i.intern(0, "/a"), 0);
        assert_eq!(i.intern(1, "/a"), 1);
        assert_eq!(i.intern(0, "/a"), 0);
        assert_eq!(i.intern(0, "/b"), 2);
        assert_eq!(i.get(1), (1, "/a"));
        for n in 0..10_000u32 {
            assert_eq!(i.intern(7, &n.to_string()), 3 + n);
        }
        assert_eq!(i.intern(7, "9999"), 3 + 9999);
        assert_eq!(i.len(), 3 + 10_000);
    }

    #[test]
    fn interns_once_in_order() {
        let mut i: Interner<String> = Interner::default();
        assert_eq!(i.intern("a", |s: &str| s.to_string()), 0);
        assert_eq!(i.intern("b", |s: &str| s.to_string()), 1);
        assert_eq!(i.intern("a", |s: &str| s.to_string()), 0);
        assert_eq!(i.items(), ["a", "b"]);
    }

    #[test]
    fn many_values_stay_distinct() {
        let mut i: Interner<String> = Interner::default();
        for n in 0..10_000 {
            assert_eq!(i.intern(&n.to_string()[..], |s: &str| s.to_string()), n);
        }
        for n in (0..10_000).rev() {
            assert_eq!(i.intern(&n.to_string()[..], |s: &str| s.to_string()), n);
        }
    }
}
