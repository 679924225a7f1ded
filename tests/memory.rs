//! Heap memory per request of a whole analysis, counted by the allocator (not RSS, not time),
//! on a generated 100,000-entry capture without bodies: a regression in the per-request
//! record, the evaluation's series or the diagnosis' measures fails here without a timing.
//!
//! Its own test binary: the counting allocator sees every allocation of the process, so no
//! other test may run beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

#[allow(dead_code)]
#[path = "../examples/gen_har.rs"]
mod gen_har;

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Requests in the generated capture.
const ENTRIES: u64 = 100_000;

/// Peak heap growth allowed per request, bytes: today's measure (377 B: an 88-byte request
/// record, a 64-byte counter per response with rate-limit headers in the capture's paged
/// table, paths end to end in a text table and no correlation ids (as `why429 analyze` reads
/// without `--server-log` or `--show-ids`), the layers' series, the diagnosis' measures and
/// the report, each throttle's diagnosis freed as its report is written) with a tenth to
/// spare. The aim is 200 B; lower this as the record shrinks.
const BUDGET_PER_REQUEST: usize = 415;

#[test]
fn peak_heap_per_request_of_a_day_long_capture_stays_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("day.har");
    let file = std::fs::File::create(&path).unwrap();
    let (n, _) = gen_har::small_capture(ENTRIES, 3, file).unwrap();
    assert_eq!(n, ENTRIES);

    let mut settings = why429::batch::Settings::new(
        why429::normalize::FingerprintKey::from_passphrase("memory"),
        Vec::new(),
        why429::profiles::builtin(),
    )
    .unwrap();
    // as `why429 analyze` reads without --server-log or --show-ids
    settings.correlation_ids = false;
    let (sources, errors) = why429::ingest::discover(
        &[why429::ingest::Input::Path(path.clone())],
        settings.read.limits,
    );
    assert!(errors.is_empty());

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let analysis = why429::batch::analyze_one(&sources[0], &settings).unwrap();
    // as `why429 analyze` builds it: giving each throttle's diagnosis up once it is written
    let report = why429::report::build_owned(analysis, Default::default());
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(report);

    let per_request = peak / ENTRIES as usize;
    eprintln!(
        "peak heap {:.1} MiB, {per_request} B per request",
        peak as f64 / 1048576.0
    );
    assert!(
        per_request <= BUDGET_PER_REQUEST,
        "peak heap grew by {per_request} B per request (budget {BUDGET_PER_REQUEST} B)"
    );
}
