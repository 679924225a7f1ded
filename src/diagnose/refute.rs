//! Refutation rules: facts that rule an explanation out, whatever else speaks for it.
//!
//! Owns the rules that drop a candidate (they are kept apart from the preference rules, which
//! only order what is left). Each rule reads only the signals the candidate carries, so it can
//! be tested without a capture, and each says which fact refuted it. Pure.

#[cfg(test)]
use super::LimitKind;
use super::signal::{Basis, Signal};
use super::{Candidate, Explanation};

/// Why an explanation was ruled out.
#[derive(Clone, Debug, PartialEq)]
pub enum Refutation {
    /// The server's counter for the layer, on the throttle itself, shows room.
    CounterHasRoom(Signal),
    /// The server's counter for the layer on the throttle holds no more than the capture's own
    /// requests: no hidden traffic used it.
    CounterShowsNoHidden(Signal),
    /// Retry-After is longer than the layer could ask to wait.
    RetryAfterTooLong(Signal),
    /// The body names another layer of the profile (`limit.key`).
    BodyNamesAnotherLayer(Signal),
    /// No other request of the scope was around the throttle.
    NothingAround,
    /// A success of the scope had at least as many requests around it.
    SuccessAsCrowded(Signal),
    /// The server's log holds every request of the layer's partition in the window: with the
    /// capture's own they leave room, so the layer did not refuse it.
    ServerLogShowsRoom(Signal),
}

impl Refutation {
    /// A short name (`counter-has-room`), for reports and the ablation script.
    pub fn rule(&self) -> &'static str {
        match self {
            Refutation::CounterHasRoom(_) => "counter-has-room",
            Refutation::CounterShowsNoHidden(_) => "counter-shows-no-hidden",
            Refutation::RetryAfterTooLong(_) => "retry-after-too-long",
            Refutation::BodyNamesAnotherLayer(_) => "body-names-another-layer",
            Refutation::NothingAround => "nothing-around",
            Refutation::SuccessAsCrowded(_) => "success-as-crowded",
            Refutation::ServerLogShowsRoom(_) => "server-log-shows-room",
        }
    }

    /// Every rule's name, in the order they are tried.
    pub const RULES: [&'static str; 7] = [
        "server-log-shows-room",
        "counter-has-room",
        "counter-shows-no-hidden",
        "retry-after-too-long",
        "body-names-another-layer",
        "nothing-around",
        "success-as-crowded",
    ];
}

/// A server counter on the throttle for a layer: Visible and Hidden on that layer are ruled
/// out when it shows room (`used < limit`); Hidden also when it holds no more than the
/// capture's own requests.
fn counter(c: &Candidate) -> Option<Refutation> {
    let layer = c.explanation.layer()?;
    c.against.iter().find_map(|s| match s {
        Signal::ServerCount {
            layer: l,
            counter,
            on_throttle: true,
            ..
        } if *l == layer => Some(if counter.used < counter.limit {
            Refutation::CounterHasRoom(s.clone())
        } else {
            Refutation::CounterShowsNoHidden(s.clone())
        }),
        _ => None,
    })
}

/// The server's log of the layer's window leaves room: neither the capture's own traffic nor
/// traffic from outside it filled the layer.
fn server_log(c: &Candidate) -> Option<Refutation> {
    let layer = c.explanation.layer()?;
    c.against.iter().find_map(|s| match s {
        Signal::ServerLog {
            layer: l,
            proof: crate::join::WindowProof::Room,
            ..
        } if *l == layer => Some(Refutation::ServerLogShowsRoom(s.clone())),
        _ => None,
    })
}

/// A Retry-After longer than the layer can ask for rules it out, unless the response itself
/// names the layer or states its numbers — in its body, or in a counter on the throttle that
/// only this layer's limit fits and that is full: servers pad the wait they advise (some send
/// a constant), and which limit refused is a fact the response gives directly. Nor does it
/// rule out a layer the capture's own requests exceed at their recorded times, unless the
/// waits count down: such a layer refuses the request whatever constant the server advises,
/// while a clock running past the layer's longest wait is another limiter's, which answered.
fn retry_after(c: &Candidate) -> Option<Refutation> {
    let layer = c.explanation.layer()?;
    let named = c.support.iter().any(|s| match s {
        Signal::BodyNamesLayer { layer: l } | Signal::BodyStatesLayer { layer: l } => *l == layer,
        Signal::ServerCount {
            layer: l,
            counter,
            on_throttle: true,
            ..
        } => *l == layer && counter.used >= counter.limit,
        _ => false,
    });
    if named {
        return None;
    }
    // at their recorded times, not only at the edge of the timing or at the server's arrival
    // times, where the wait's length stays a fact against the layer
    let exceeded = matches!(
        c.explanation,
        Explanation::Visible {
            basis: Basis::Exact,
            ..
        }
    );
    c.against.iter().find_map(|s| match s {
        Signal::RetryAfterTooLong { counts_down, .. } if *counts_down || !exceeded => {
            Some(Refutation::RetryAfterTooLong(s.clone()))
        }
        _ => None,
    })
}

fn body_key(c: &Candidate) -> Option<Refutation> {
    let layer = c.explanation.layer()?;
    c.against.iter().find_map(|s| match s {
        Signal::BodyNamesLayer { layer: l } if *l != layer => {
            Some(Refutation::BodyNamesAnotherLayer(s.clone()))
        }
        _ => None,
    })
}

/// An undocumented limit on a count needs company: a concurrency or burst limit cannot refuse
/// a request alone in its scope, nor one no more crowded than a success.
fn separation(c: &Candidate) -> Option<Refutation> {
    let Explanation::Undocumented { .. } = c.explanation else {
        return None;
    };
    let nothing = c
        .support
        .iter()
        .any(|s| matches!(s, Signal::Around { possible: 0, .. }));
    if nothing {
        return Some(Refutation::NothingAround);
    }
    c.against.iter().find_map(|s| match s {
        Signal::SuccessAsCrowded { .. } => Some(Refutation::SuccessAsCrowded(s.clone())),
        _ => None,
    })
}

/// The first rule that refutes the candidate for the throttle at `i`.
pub fn first(cx: &super::context::Ctx<'_>, _i: usize, c: &Candidate) -> Option<Refutation> {
    judge_with(c, &cx.rules.off_refutations)
}

/// The rules in order, on the candidate's own signals.
pub fn judge(c: &Candidate) -> Option<Refutation> {
    judge_with(c, &[])
}

/// The rules in order, less those switched off.
pub fn judge_with(c: &Candidate, off: &[&str]) -> Option<Refutation> {
    let rules: [fn(&Candidate) -> Option<Refutation>; 5] =
        [server_log, counter, retry_after, body_key, separation];
    rules
        .iter()
        .filter_map(|rule| rule(c))
        .find(|r| !off.contains(&r.rule()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::context::Scope;
    use crate::diagnose::signal::{Basis, Counter};

    fn on(layer: usize, used: u64, limit: u64) -> Signal {
        Signal::ServerCount {
            layer,
            counter: Counter {
                quote: None,
                used,
                limit,
            },
            visible: 3,
            at: 0,
            on_throttle: true,
        }
    }

    fn hidden(layer: usize) -> Candidate {
        Candidate::new(Explanation::Hidden { layer, at_least: 5 })
    }

    #[test]
    fn a_counter_with_room_refutes_its_layer() {
        let mut c = hidden(2);
        c.against.push(on(2, 24, 25));
        assert_eq!(judge(&c).unwrap().rule(), "counter-has-room");
        let mut v = Candidate::new(Explanation::Visible {
            layer: 2,
            basis: Basis::Exact,
        });
        v.against.push(on(2, 24, 25));
        assert_eq!(judge(&v).unwrap().rule(), "counter-has-room");
        // another layer's counter says nothing about this one
        let mut o = hidden(1);
        o.against.push(on(2, 24, 25));
        assert_eq!(judge(&o), None);
    }

    #[test]
    fn a_full_counter_holding_only_visible_requests_refutes_hidden_traffic() {
        let mut c = hidden(0);
        c.against.push(on(0, 26, 25));
        assert_eq!(judge(&c).unwrap().rule(), "counter-shows-no-hidden");
    }

    #[test]
    fn a_retry_after_beyond_the_window_refutes_the_layer() {
        let mut c = hidden(0);
        c.against.push(Signal::RetryAfterTooLong {
            layer: 0,
            retry_after_s: 55.0,
            longest: 1_000_000,
            counts_down: false,
        });
        assert_eq!(judge(&c).unwrap().rule(), "retry-after-too-long");
        // unless the response names the layer or states its numbers: the wait may be padded
        for named in [
            Signal::BodyNamesLayer { layer: 0 },
            Signal::BodyStatesLayer { layer: 0 },
            on(0, 26, 25),
        ] {
            let mut n = c.clone();
            n.support.push(named);
            assert_eq!(judge(&n), None);
        }
        // a counter with room on the throttle, or one of another layer, names nothing
        for other in [on(0, 20, 25), on(1, 26, 25)] {
            let mut n = c.clone();
            n.support.push(other);
            assert_eq!(judge(&n).unwrap().rule(), "retry-after-too-long");
        }
        // a layer the capture's own requests exceed at their recorded times refuses whatever
        // constant the server advises; one they exceed only at the edge of the timing, or
        // alone, stays ruled out, and so does any layer when the waits count down (another
        // limiter's clock answered)
        let visible = |basis, counts_down| {
            let mut v = Candidate::new(Explanation::Visible { layer: 0, basis });
            v.against.push(Signal::RetryAfterTooLong {
                layer: 0,
                retry_after_s: 55.0,
                longest: 1_000_000,
                counts_down,
            });
            v
        };
        assert_eq!(judge(&visible(Basis::Exact, false)), None);
        assert_eq!(
            judge(&visible(Basis::Exact, true)).unwrap().rule(),
            "retry-after-too-long"
        );
        for basis in [Basis::Edge, Basis::Alone, Basis::IfRefusalsCount] {
            assert_eq!(
                judge(&visible(basis, false)).unwrap().rule(),
                "retry-after-too-long"
            );
        }
    }

    #[test]
    fn a_body_naming_another_layer_refutes_this_one() {
        let mut c = hidden(0);
        c.against.push(Signal::BodyNamesLayer { layer: 1 });
        assert_eq!(judge(&c).unwrap().rule(), "body-names-another-layer");
        let mut same = hidden(1);
        same.support.push(Signal::BodyNamesLayer { layer: 1 });
        assert_eq!(judge(&same), None);
    }

    fn undocumented(kind: LimitKind) -> Candidate {
        Candidate::new(Explanation::Undocumented {
            kind,
            scope: Some(Scope::Endpoint),
            limit: Some(1),
            window: None,
            stated: None,
        })
    }

    #[test]
    fn a_limit_on_company_needs_company() {
        let mut c = undocumented(LimitKind::Concurrency);
        c.support.push(Signal::Around {
            window: None,
            scope: Scope::Endpoint,
            possible: 0,
        });
        assert_eq!(judge(&c).unwrap().rule(), "nothing-around");
        let mut b = undocumented(LimitKind::Burst);
        b.against.push(Signal::SuccessAsCrowded {
            window: Some(1_000_000),
            scope: Scope::Caller,
            sure: 3,
            possible: 3,
        });
        assert_eq!(judge(&b).unwrap().rule(), "success-as-crowded");
        let mut ok = undocumented(LimitKind::Concurrency);
        ok.support.push(Signal::Around {
            window: None,
            scope: Scope::Endpoint,
            possible: 2,
        });
        assert_eq!(judge(&ok), None);
    }
}
