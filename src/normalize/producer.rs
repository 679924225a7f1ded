//! Recognising the producer of a capture from `log.creator` and `log.browser`.
//!
//! Owns the table of known producers. Reports show a name from this table and a version made of
//! digits and dots only, never the creator text itself (which a hand-edited file could fill
//! with anything). Pure.

use crate::ingest::NameVersion;
use crate::model::Producer;

const PRODUCERS: &[(&str, &str)] = &[
    ("webinspector", "Chromium DevTools"),
    ("webkit web inspector", "Safari Web Inspector"),
    ("chrome-har-capturer", "Chrome HAR Capturer"),
    ("chrome har capturer", "Chrome HAR Capturer"),
    ("chrome-har", "chrome-har"),
    ("browsertime", "Browsertime"),
    ("firefox", "Firefox DevTools"),
    ("firebug", "Firebug"),
    ("internet explorer", "Internet Explorer F12"),
    ("fiddler", "Fiddler"),
    ("charles", "Charles Proxy"),
    ("mitmproxy", "mitmproxy"),
    ("playwright", "Playwright"),
    ("polly", "Polly.JS"),
    ("webpagetest", "WebPageTest"),
    ("zap", "OWASP ZAP"),
    ("insomnia", "Insomnia"),
    ("browsermob", "BrowserMob Proxy"),
    ("browserup", "BrowserUp Proxy"),
    ("http toolkit", "HTTP Toolkit"),
    ("proxyman", "Proxyman"),
    ("dev proxy", "Microsoft Dev Proxy"),
    ("puppeteer", "puppeteer-har"),
    ("why429", "why429 sanitize"),
];

const BROWSERS: &[(&str, &str)] = &[
    ("headlesschrome", "Chrome"),
    ("chromium", "Chromium"),
    ("chrome", "Chrome"),
    ("edge", "Edge"),
    ("firefox", "Firefox"),
    ("iceweasel", "Iceweasel"),
    ("webkit", "WebKit"),
    ("safari", "Safari"),
    ("internet explorer", "Internet Explorer"),
];

/// Digits and dots from the start of a version string (`1.6X.0a11` → `1.6`).
fn clean_version(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    let v = &v[v.find(|c: char| c.is_ascii_digit())?..];
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let s = v[..end.min(24)].trim_end_matches('.');
    (!s.is_empty()).then(|| s.to_string())
}

fn lookup(table: &[(&str, &'static str)], name: Option<&str>) -> Option<&'static str> {
    let n = name?.to_ascii_lowercase();
    table
        .iter()
        // the shown name is recognised too, so a sanitized copy keeps its producer
        .find(|(needle, shown)| n.contains(needle) || n == shown.to_ascii_lowercase())
        .map(|(_, shown)| *shown)
}

/// Recognises the producer.
pub fn producer(creator: Option<&NameVersion>, browser: Option<&NameVersion>) -> Producer {
    let name = creator
        .and_then(|c| lookup(PRODUCERS, c.name.as_deref()))
        .unwrap_or("unknown producer");
    let version = if name == "unknown producer" {
        None
    } else {
        clean_version(creator.and_then(|c| c.version.as_deref()))
    };
    let browser = browser.and_then(|b| {
        lookup(BROWSERS, b.name.as_deref()).map(|n| (n, clean_version(b.version.as_deref())))
    });
    Producer {
        name,
        version,
        browser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nv(n: &str, v: &str) -> NameVersion {
        NameVersion {
            name: Some(n.into()),
            version: Some(v.into()),
        }
    }

    #[test]
    fn known_producers_and_versions() {
        let p = producer(Some(&nv("WebInspector", "537.36")), None);
        assert_eq!(p.label(), "Chromium DevTools 537.36");
        let p = producer(
            Some(&nv("Playwright", "1.65.1")),
            Some(&nv("chromium", "156.0.8078.108")),
        );
        assert_eq!(p.label(), "Playwright 1.65.1 (Chromium 156.0.8078.108)");
        let p = producer(Some(&nv("chrome-har", "1.3.1")), None);
        assert_eq!(p.name, "chrome-har");
        let p = producer(Some(&nv("Firebug", "1.6X.0a11")), None);
        assert_eq!(p.label(), "Firebug 1.6");
        let p = producer(
            Some(&nv(
                "Insomnia REST Client",
                "insomnia.desktop.app:v2022.1.1",
            )),
            None,
        );
        assert_eq!(p.label(), "Insomnia 2022.1.1");
    }

    #[test]
    fn shown_names_are_recognised_as_themselves() {
        for (_, shown) in PRODUCERS {
            let p = producer(Some(&nv(shown, "1.0")), None);
            assert_eq!(p.name, *shown);
        }
        for (_, shown) in BROWSERS {
            let p = producer(None, Some(&nv(shown, "1")));
            assert_eq!(p.browser.unwrap().0, *shown);
        }
    }

    #[test]
    fn unknown_creators_are_not_echoed() {
        let p = producer(Some(&nv("CNRY-evil-tool", "CNRY9")), None);
        assert_eq!(p.label(), "unknown producer");
        assert_eq!(producer(None, None).label(), "unknown producer");
    }
}
