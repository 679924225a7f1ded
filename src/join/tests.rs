//! Unit tests of the join.
