//! `QuotaTable`: the counters of every response of a capture, end to end in pages.
//!
//! Owns the storage of the server counters a day-long capture holds once per response (three
//! responses in four carry one from an API that reports them): fixed-size pages instead of a
//! heap block per response, which costs a block header each, and instead of one vector, which
//! grows by doubling and holds up to as much again unused while a capture is read. A
//! response's counters never straddle two pages, so they read back as one slice. It must not
//! interpret the counters. Pure data.

use super::signals::Quota;

/// Counters per page: 4,096 of 64 bytes, a quarter of a megabyte; the most counters one
/// response keeps. A page is left with room only for fewer counters than the next response
/// has, so the table holds at most the last page's unused room beyond that.
const PAGE: usize = 4096;

/// Counters stored page by page, each response's together, found by where they start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuotaTable {
    pages: Vec<Vec<Quota>>,
}

impl QuotaTable {
    /// Appends one response's counters (beyond `PAGE` of them are not kept); returns where
    /// they start and how many were kept, for `get`.
    pub fn push(&mut self, quotas: Vec<Quota>) -> (u32, u16) {
        let len = quotas.len().min(PAGE);
        if len == 0 {
            return (0, 0);
        }
        let room = self.pages.last().map_or(0, |p| PAGE - p.len());
        if room < len {
            self.pages.push(Vec::with_capacity(PAGE));
        }
        let page = self.pages.len() - 1;
        // a capture of four billion counters is out of reach of any input the reader takes;
        // were it reached, the response would keep none rather than point at another's
        let (Ok(at), Ok(n)) = (
            u32::try_from(page * PAGE + self.pages[page].len()),
            u16::try_from(len),
        ) else {
            return (0, 0);
        };
        self.pages[page].extend(quotas.into_iter().take(len));
        (at, n)
    }

    /// The `len` counters starting at `at` (empty when out of range).
    pub fn get(&self, at: u32, len: u16) -> &[Quota] {
        let at = at as usize;
        self.pages
            .get(at / PAGE)
            .and_then(|p| p.get(at % PAGE..at % PAGE + usize::from(len)))
            .unwrap_or_default()
    }

    /// Whether no response carried a counter.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Gives back the unused room of the last page.
    pub fn shrink_to_fit(&mut self) {
        if let Some(p) = self.pages.last_mut() {
            p.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(n: usize, first: u64) -> Vec<Quota> {
        (0..n as u64)
            .map(|i| Quota {
                limit: Some(first + i).into(),
                ..Quota::default()
            })
            .collect()
    }

    fn limits(q: &[Quota]) -> Vec<u64> {
        q.iter().filter_map(|q| q.limit.get()).collect()
    }

    #[test]
    fn each_response_reads_back_whole_across_pages() {
        let mut t = QuotaTable::default();
        assert!(t.is_empty());
        assert_eq!(t.push(Vec::new()), (0, 0));
        assert!(t.is_empty());
        let mut at = Vec::new();
        // three counters at a time: the page's last response would straddle, so it starts
        // the next page
        for r in 0..PAGE as u64 {
            at.push(t.push(quotas(3, r * 10)));
        }
        for (r, &(a, n)) in at.iter().enumerate() {
            assert_eq!(
                limits(t.get(a, n)),
                [r as u64 * 10, r as u64 * 10 + 1, r as u64 * 10 + 2]
            );
        }
        assert_eq!(
            at[PAGE / 3].0 as usize,
            PAGE,
            "{:?}",
            &at[PAGE / 3 - 1..=PAGE / 3]
        );
        assert!(!t.is_empty());
        // out of range reads nothing
        assert!(t.get(u32::MAX, 2).is_empty());
        t.shrink_to_fit();
        assert_eq!(limits(t.get(at[5].0, 3)), [50, 51, 52]);
    }

    #[test]
    fn a_page_filled_exactly_is_filled_before_the_next_begins() {
        let mut t = QuotaTable::default();
        let at: Vec<(u32, u16)> = (0..=PAGE as u64 / 4)
            .map(|r| t.push(quotas(4, r)))
            .collect();
        assert_eq!(at[PAGE / 4 - 1].0 as usize, PAGE - 4);
        assert_eq!(at[PAGE / 4].0 as usize, PAGE);
        assert_eq!(t.pages.len(), 2);
        assert_eq!(t.pages[0].len(), PAGE);
    }

    #[test]
    fn more_counters_than_a_page_keep_a_page() {
        let mut t = QuotaTable::default();
        t.push(quotas(1, 0));
        let (a, n) = t.push(quotas(PAGE + 5, 7));
        assert_eq!((a as usize, usize::from(n)), (PAGE, PAGE));
        assert_eq!(t.get(a, n).len(), PAGE);
        assert_eq!(limits(t.get(0, 1)), [0]);
    }
}
