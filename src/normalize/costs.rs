//! Where request costs are read from responses: the `cost_from` sources of the active
//! profiles (`"header:x-ms-resource-unit"`, `"body:extensions.cost.actualQueryCost"`).
//!
//! Owns parsing those sources once, before any entry is read (profiles are parsed first), and
//! reading them from one response: a header value, or a number at a path of the JSON body —
//! also in long bodies the framer kept the head and the tail of. Only numbers leave. Pure.

use memchr::memmem::Finder;

use crate::model::ReportedCost;

use super::dialects::{self, bodies::Parsed, values};

/// Most sources one analysis can read (`ReportedCost::source` is a `u8`).
const MAX_SOURCES: usize = 255;

/// One place a cost is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CostSource {
    /// A response header (lower case).
    Header(String),
    /// A path into the JSON response body (`["extensions", "cost", "actualQueryCost"]`;
    /// number segments index arrays).
    Body(Vec<String>),
}

impl CostSource {
    /// Parses one `cost_from` value.
    pub fn parse(text: &str) -> Result<CostSource, String> {
        let t = text.trim();
        if let Some(h) = t.strip_prefix("header:") {
            let h = h.trim().to_ascii_lowercase();
            if h.is_empty() {
                return Err(format!("`{t}` names no header"));
            }
            if !dialects::reads_header(&h) {
                let known: Vec<&str> = dialects::DIALECTS
                    .iter()
                    .flat_map(|d| d.costs.iter())
                    .filter_map(|c| c.strip_prefix("header:"))
                    .collect();
                return Err(format!(
                    "why429 keeps only the rate-limit headers it knows, and `{h}` is not one of \
                     them (cost headers it knows: {})",
                    known.join(", ")
                ));
            }
            return Ok(CostSource::Header(h));
        }
        if let Some(p) = t.strip_prefix("body:") {
            let segs: Vec<String> = p.trim().split('.').map(str::to_string).collect();
            if segs
                .iter()
                .any(|s| s.is_empty() || s.len() > 64 || s.contains('"'))
                || segs.len() > 16
            {
                return Err(format!(
                    "`{t}` is not a body path like `body:extensions.cost.actualQueryCost`"
                ));
            }
            return Ok(CostSource::Body(segs));
        }
        Err(format!(
            "`{t}` should start with `header:` (a response header) or `body:` (a path into the JSON body)"
        ))
    }

    /// The `cost_from` text of the source.
    pub fn text(&self) -> String {
        match self {
            CostSource::Header(h) => format!("header:{h}"),
            CostSource::Body(p) => format!("body:{}", p.join(".")),
        }
    }
}

/// The cost sources the active profiles ask for, in a fixed order (`ReportedCost::source`
/// indexes it).
#[derive(Clone, Debug, Default)]
pub struct CostSources {
    sources: Vec<CostSource>,
    /// Per body source: a finder for the key of its last name segment (without the quotes the
    /// HAR escapes), the cheap test of whether a 2xx body may hold it.
    needles: Vec<Finder<'static>>,
}

impl PartialEq for CostSources {
    fn eq(&self, other: &Self) -> bool {
        self.sources == other.sources
    }
}

impl CostSources {
    /// Sources from a list of `cost_from` values (duplicates are read once).
    pub fn new<S: AsRef<str>>(list: impl IntoIterator<Item = S>) -> Result<CostSources, String> {
        let mut out = CostSources::default();
        for s in list {
            let source = CostSource::parse(s.as_ref())?;
            if out.sources.contains(&source) {
                continue;
            }
            if out.sources.len() == MAX_SOURCES {
                return Err(format!(
                    "more than {MAX_SOURCES} different cost_from sources"
                ));
            }
            if let CostSource::Body(p) = &source
                && let Some(key) = p.iter().rev().find(|s| s.parse::<usize>().is_err())
            {
                out.needles.push(Finder::new(key.as_bytes()).into_owned());
            }
            out.sources.push(source);
        }
        Ok(out)
    }

    /// The sources, in index order.
    pub fn sources(&self) -> &[CostSource] {
        &self.sources
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The index of a `cost_from` value, once the sources are made.
    pub fn index_of(&self, text: &str) -> Option<u8> {
        let s = CostSource::parse(text).ok()?;
        self.sources.iter().position(|x| *x == s).map(|i| i as u8)
    }

    /// The source at an index.
    pub fn get(&self, index: u8) -> Option<&CostSource> {
        self.sources.get(index as usize)
    }

    /// Whether a body, as the HAR writes it (escaped), may hold a cost a source asks for (a
    /// byte search, no parsing).
    pub fn may_hold(&self, body: &[u8]) -> bool {
        self.needles.iter().any(|f| f.find(body).is_some())
    }

    /// Whether any source reads bodies.
    pub fn reads_bodies(&self) -> bool {
        !self.needles.is_empty()
            || self
                .sources
                .iter()
                .any(|s| matches!(s, CostSource::Body(_)))
    }

    /// Costs of one response: from its headers (lower-case name, value) and, when it was
    /// read, its body.
    pub fn read<'h>(
        &self,
        mut header: impl FnMut(&str) -> Option<&'h str>,
        body: Option<&Parsed<'_>>,
    ) -> Vec<ReportedCost> {
        let mut out = Vec::new();
        for (i, s) in self.sources.iter().enumerate() {
            let value = match s {
                CostSource::Header(h) => header(h).and_then(values::decimal),
                CostSource::Body(path) => body.and_then(|b| {
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    b.at(&p).as_ref().and_then(values::json_decimal)
                }),
            };
            if let Some(value) = value.filter(|v| *v < 1e15) {
                out.push(ReportedCost {
                    source: i as u8,
                    value,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_from_cost_from_values() {
        let c = CostSources::new([
            "header:x-ms-resource-unit",
            "body:extensions.cost.actualQueryCost",
            "body:data.rateLimit.cost",
            "header:X-MS-Resource-Unit",
        ])
        .unwrap();
        assert_eq!(c.sources().len(), 3);
        assert_eq!(c.index_of("body:data.rateLimit.cost"), Some(2));
        assert_eq!(
            c.get(0),
            Some(&CostSource::Header("x-ms-resource-unit".into()))
        );
        assert!(
            CostSources::new(["header:x-my-cost"])
                .unwrap_err()
                .contains("x-ms-resource-unit")
        );
        assert!(CostSources::new(["body:a..b"]).is_err());
        assert!(CostSources::new(["x-ms-resource-unit"]).is_err());
        assert!(CostSources::new(Vec::<String>::new()).unwrap().is_empty());
    }

    #[test]
    fn costs_are_read_from_headers_and_bodies() {
        let c = CostSources::new([
            "header:x-ms-resource-unit",
            "body:extensions.cost.actualQueryCost",
            "body:errors.0.cost",
        ])
        .unwrap();
        let body =
            r#"{"data":{},"errors":[{"cost":3}],"extensions":{"cost":{"actualQueryCost":12}}}"#;
        // bodies as the HAR writes them: escaped
        assert!(c.may_hold(body.replace('"', "\\\"").as_bytes()));
        assert!(!c.may_hold(br#"{\"data\":{}}"#));
        let p = Parsed::new(body);
        let got = c.read(|h| (h == "x-ms-resource-unit").then_some("2"), Some(&p));
        let values: Vec<(u8, f64)> = got.iter().map(|r| (r.source, r.value)).collect();
        assert_eq!(values, vec![(0, 2.0), (1, 12.0), (2, 3.0)]);
        assert!(c.read(|_| None, None).is_empty());
    }
}
