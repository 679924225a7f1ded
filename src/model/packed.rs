//! Optional numbers in the space of the number: a value no capture can hold stands for none.
//!
//! Owns `Packed<T>` and which value is "none" for each number type. A day-long capture holds a
//! request record per entry and a counter per response that reports one; an `Option<u64>` takes
//! sixteen bytes where eight carry the number. It must not hold anything but plain numbers.

use std::fmt;

/// A number type with a value no capture can produce, used as "none".
pub trait Niche: Copy + PartialEq + fmt::Debug {
    /// The value that stands for none.
    const NONE: Self;
}

/// No table of a capture reaches four billion rows, and page sizes are read capped below it.
impl Niche for u32 {
    const NONE: u32 = u32::MAX;
}

/// A counter's budget, remainder or use of 2⁶⁴ − 1 is no reading.
impl Niche for u64 {
    const NONE: u64 = u64::MAX;
}

/// A window or reset of −2⁶³ µs (−292,000 years) is no reading.
impl Niche for i64 {
    const NONE: i64 = i64::MIN;
}

/// An optional number in the number's own size: the niche value reads as none (so
/// `Packed::from(Some(T::NONE))` is none).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packed<T: Niche>(T);

impl<T: Niche> Packed<T> {
    /// None.
    pub const NONE: Packed<T> = Packed(T::NONE);

    /// The value, if any.
    pub fn get(self) -> Option<T> {
        (self.0 != T::NONE).then_some(self.0)
    }

    /// Whether there is a value.
    pub fn is_some(self) -> bool {
        self.0 != T::NONE
    }

    /// Whether there is none.
    pub fn is_none(self) -> bool {
        self.0 == T::NONE
    }
}

impl<T: Niche> From<Option<T>> for Packed<T> {
    fn from(v: Option<T>) -> Self {
        Packed(v.unwrap_or(T::NONE))
    }
}

impl<T: Niche> From<T> for Packed<T> {
    fn from(v: T) -> Self {
        debug_assert!(v != T::NONE, "{v:?} is the none of a packed number");
        Packed(v)
    }
}

impl<T: Niche> Default for Packed<T> {
    fn default() -> Self {
        Packed::NONE
    }
}

impl<T: Niche> fmt::Debug for Packed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// An optional `u32` in four bytes.
pub type OptU32 = Packed<u32>;

/// An optional `u64` in eight bytes.
pub type OptU64 = Packed<u64>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_number_is_its_option_in_the_number_s_size() {
        assert_eq!(std::mem::size_of::<OptU32>(), 4);
        assert_eq!(std::mem::size_of::<Packed<i64>>(), 8);
        for v in [None, Some(0), Some(7), Some(u64::MAX - 1)] {
            assert_eq!(OptU64::from(v).get(), v);
        }
        assert_eq!(
            OptU64::from(Some(u64::MAX)).get(),
            None,
            "the niche reads as none"
        );
        assert_eq!(Packed::<i64>::from(-5).get(), Some(-5));
        assert!(OptU32::default().is_none() && OptU32::from(3).is_some());
        assert_eq!(format!("{:?}", OptU32::from(3)), "Some(3)");
    }
}
