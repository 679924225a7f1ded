//! Counted nouns: `1 request`, `2 requests`, `1 entry`, `3 entries`.
//!
//! Every message and renderer that puts a number before a noun goes through `plural` (regular
//! English plurals) or `count` (an irregular pair), so no output says "1 requests". Pure.

/// `n` and the noun, in the plural unless `n` is 1: `entry` → `entries`, `index` → `indexes`,
/// `request` → `requests`. The noun may be several words; the last one takes the plural.
pub fn plural(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural_of(noun))
    }
}

/// `n` and `one` when `n` is 1, else `n` and `many`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The regular plural of a noun (of the last word of a phrase).
pub fn plural_of(noun: &str) -> String {
    let lower = noun.to_ascii_lowercase();
    let consonant_y = lower.ends_with('y')
        && !matches!(
            lower.chars().rev().nth(1),
            Some('a' | 'e' | 'i' | 'o' | 'u') | None
        );
    if consonant_y {
        format!("{}ies", &noun[..noun.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(plural(1u32, "request"), "1 request");
        assert_eq!(plural(0u32, "request"), "0 requests");
        assert_eq!(plural(2u64, "entry"), "2 entries");
        assert_eq!(plural(1u64, "entry"), "1 entry");
        assert_eq!(plural(3u32, "key"), "3 keys");
        assert_eq!(plural(2u32, "pass"), "2 passes");
        assert_eq!(plural(2u32, "unusable entry"), "2 unusable entries");
        assert_eq!(count(1u32, "capture was", "captures were"), "1 capture was");
        assert_eq!(
            count(4u32, "capture was", "captures were"),
            "4 captures were"
        );
    }
}
