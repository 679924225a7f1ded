//! The example reports in `reports/` are what the current code produces.

use std::path::Path;

use super::cli::why429;

#[test]
fn reports_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = std::fs::read_to_string(root.join("reports/reports.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for line in list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        let out = tmp.path().join(name);
        let status = why429()
            .current_dir(root)
            .env("WHY429_FINGERPRINT_KEY", "why429-example-reports")
            .arg("analyze")
            .args(words)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        for file in [
            "report.md",
            "report.html",
            "report.json",
            "timeline.png",
            "timeline.svg",
        ] {
            let fresh = std::fs::read(out.join(file)).unwrap();
            let kept =
                std::fs::read(root.join("reports").join(name).join(file)).unwrap_or_else(|_| {
                    panic!("reports/{name}/{file} is missing: run scripts/reports.sh")
                });
            assert!(
                fresh == kept,
                "reports/{name}/{file} is stale: run scripts/reports.sh and commit the result"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15);
}
