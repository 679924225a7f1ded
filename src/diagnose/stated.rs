//! The limit a 429 body states when no documented layer is that limit.
//!
//! Owns the `undocumented-limit` hypothesis of kind `rate`: the server said "maximum [N]
//! requests within [W] seconds" (or named a `limit.key`) and no layer of the active profile that
//! counts the request has those numbers or that name. It counts the caller's requests in the
//! stated window so the evidence says whether traffic in the capture reached the stated limit.
//! It must not print the body itself or an unknown limit key (response content is not on the
//! report allow-list), and it performs no I/O.

use crate::model::{Micros, Request, ThrottleBody, time};

use super::context::{Ctx, is_traffic};
use super::throttle::fmt_s;
use super::{Cause, Hypothesis, LimitKind};

/// What the body says, and whether a documented layer counting the request says the same.
pub struct Statement<'b> {
    /// The parsed 429 body.
    pub body: &'b ThrottleBody,
    /// A documented layer counting this request has the body's numbers.
    pub numbers_documented: bool,
    /// The body has a `limit.key` and it names a layer counting this request.
    pub key_documented: bool,
}

/// The hypothesis, or `None` when the body states nothing a documented layer does not.
pub fn hypothesis(
    cx: &Ctx<'_>,
    i: usize,
    st: &Statement<'_>,
    ra: Option<f64>,
    any_visible: bool,
) -> Option<Hypothesis> {
    let b = st.body;
    let limit = b.limit.or(b.limit_value).filter(|&n| n > 0);
    let window = b
        .window_s
        .filter(|w| w.is_finite() && *w > 0.0 && *w <= 86_400.0)
        .map(time::secs);
    let numbers_new = limit.is_some() && !st.numbers_documented;
    let key_new = b.limit_key.is_some() && !st.key_documented;
    if !(numbers_new || key_new) || st.key_documented {
        return None;
    }
    let mut h = Hypothesis::new(Cause::UndocumentedLimit, None, Some(LimitKind::Rate));
    h.limit = limit;
    h.window = window;
    match (limit, window) {
        (Some(n), Some(w)) if numbers_new => h.add(4, format!(
            "the 429 body states a limit of {n} requests within {}, and no layer of the active profile that counts this request has those numbers",
            time::window_label(w)
        )),
        (Some(n), _) if numbers_new => h.add(3, format!(
            "the 429 body states a limit of {n} (no window given), and no layer of the active profile that counts this request has that limit"
        )),
        _ => {}
    }
    if key_new {
        h.add(
            3,
            "the 429 body names a limit that is not a layer of the active profile counting this request".to_string(),
        );
    }
    if let (Some(n), Some(w)) = (limit, window) {
        let r = &cx.capture.requests[i];
        let seen = recent(cx, i, w, n);
        let endpoint = cx.endpoint(r);
        let label = time::window_label(w);
        if seen.endpoint >= n {
            h.add(2, format!(
                "{} admitted {endpoint} of this caller started in the {label} before it: traffic in the capture reached the stated limit",
                at_least(seen.endpoint, n)
            ));
            h.visible = Some(seen.endpoint);
        } else if seen.caller >= n {
            h.add(2, format!(
                "{} admitted requests of this caller to {} started in the {label} before it: traffic in the capture reached the stated limit",
                at_least(seen.caller, n),
                cx.capture.host(r)
            ));
            h.visible = Some(seen.caller);
        } else {
            h.add(-1, format!(
                "only {} admitted requests of this caller to {} started in the {label} before it: at least {} more came from outside the capture, or the limit counts more widely",
                seen.caller,
                cx.capture.host(r),
                n - seen.caller
            ));
            h.visible = Some(seen.caller);
        }
        if let Some(s) = ra
            && s <= time::as_secs(w) + 2.0
        {
            h.add(
                1,
                format!(
                    "Retry-After {} s fits within the stated {label} window",
                    fmt_s(s)
                ),
            );
        }
    }
    if any_visible {
        h.add(
            -3,
            "a documented layer was visibly exhausted at this moment".to_string(),
        );
    }
    Some(h)
}

/// A count from `recent`, which stops at `cap`: reaching it means "at least".
pub(super) fn at_least(seen: u64, cap: u64) -> String {
    if seen >= cap {
        format!("at least {cap}")
    } else {
        seen.to_string()
    }
}

/// Admitted requests before the 429 within `w`, of the same caller (user, client, host) and of
/// those, of the same endpoint; counting stops once `cap` is reached in both.
struct Recent {
    caller: u64,
    endpoint: u64,
}

fn recent(cx: &Ctx<'_>, i: usize, w: Micros, cap: u64) -> Recent {
    let reqs = &cx.capture.requests;
    let r = &reqs[i];
    let from = r.start - w;
    let mut out = Recent {
        caller: 0,
        endpoint: 0,
    };
    for q in reqs[..i].iter().rev() {
        if q.start <= from || (out.caller >= cap && out.endpoint >= cap) {
            break;
        }
        if !same_caller(q, r) || q.is_throttle() {
            continue;
        }
        out.caller += 1;
        if q.method == r.method && q.template == r.template {
            out.endpoint += 1;
        }
    }
    out
}

fn same_caller(q: &Request, r: &Request) -> bool {
    is_traffic(q) && q.user == r.user && q.client == r.client && q.host == r.host
}
