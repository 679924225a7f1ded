//! The integration test binary: every test that runs the library or the CLI end to end.

mod integration {
    pub mod canary;
    pub mod check;
    pub mod cli;
    pub mod diagnose;
    pub mod dialects;
    pub mod exercise;
    pub mod fixtures_read;
    pub mod formats;
    pub mod hidden_join;
    pub mod hostile;
    pub mod lab_truth;
    pub mod layers;
    pub mod markdown;
    pub mod penalty;
    pub mod plurals;
    pub mod profiles_cli;
    pub mod readme;
    pub mod refusals;
    pub mod reports;
    pub mod restate;
    pub mod roundtrip;
    pub mod sanitize;
    pub mod scoring;
    pub mod serverlog_exercise;
    pub mod serverlogs;
    pub mod splits;
    pub mod stated_kind;
    pub mod still_wait;
    pub mod support;
    pub mod terminal;
    pub mod uncounted;
    pub mod users;
}
