//! Interning tables that store each distinct value once.
//!
//! Owns `Interner<T>`: values kept in insertion order and found again through a map from their
//! hash to the first index, with a chain for the rare collisions — so a table of a million
//! unique paths or correlation ids holds each string once, not twice. Pure.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};

use crate::model::Sym;

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

#[cfg(test)]
mod tests {
    use super::*;

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
