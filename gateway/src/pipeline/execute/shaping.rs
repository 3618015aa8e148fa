//! Traffic shaping toward subgraphs: retries of queries that failed on the way, bounded by
//! a retry budget, and a circuit breaker per subgraph.
//!
//! - **Retries.** A query (never a mutation: it may have taken effect) whose request broke
//!   (connection refused or reset) or was answered 502, 503 or 504 is sent again, up to
//!   `retries` times, after a backoff that doubles each time (with jitter), and only while
//!   the request's deadline leaves room. A timeout is not retried: its time is spent.
//! - **Retry budget.** Within each 10-second window a subgraph's retries may add at most
//!   `budget_percent` of its requests (and always a few): when a subgraph is down, retries
//!   do not multiply the load on it.
//! - **Circuit breaker.** After `failure_threshold` failed requests in a row (broken, 5xx,
//!   timed out), the subgraph's circuit opens: for `open_for`, requests to it fail at once
//!   (`SUBGRAPH_REQUEST_FAILED`, saying so) instead of waiting on a subgraph that is down.
//!   Then one request is let through as a probe: its success closes the circuit, its failure
//!   opens it again. The state is in `/metrics` (`gateway_subgraph_circuit_state`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How requests to subgraphs are retried and cut off.
#[derive(Clone, Copy, Debug)]
pub struct Shaping {
    /// Retries of a failed query (0: none).
    pub retries: u32,
    /// The first retry's backoff; each further one doubles it.
    pub backoff: Duration,
    /// Retries may add this share of a subgraph's requests, in percent.
    pub budget_percent: u64,
    /// Failed requests in a row that open the circuit (0: never).
    pub failure_threshold: u32,
    /// How long an open circuit refuses requests before a probe.
    pub open_for: Duration,
}

impl Default for Shaping {
    fn default() -> Self {
        Shaping {
            retries: 2,
            backoff: Duration::from_millis(25),
            budget_percent: 20,
            failure_threshold: 5,
            open_for: Duration::from_secs(10),
        }
    }
}

/// The window the retry budget counts over, and the retries it allows whatever the load.
const BUDGET_WINDOW: Duration = Duration::from_secs(10);
const BUDGET_FLOOR: u64 = 10;

/// A circuit's state, as `/metrics` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CircuitState {
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

#[derive(Debug)]
enum Circuit {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A probe is out.
    HalfOpen,
}

/// One subgraph's breaker and retry budget.
#[derive(Debug)]
pub(crate) struct Health {
    circuit: Mutex<Circuit>,
    /// What the circuit is, for metrics ([`CircuitState`] as a number).
    pub state: AtomicU64,
    budget: Mutex<Budget>,
    pub retries: AtomicU64,
    pub short_circuits: AtomicU64,
}

#[derive(Debug)]
struct Budget {
    since: Instant,
    requests: u64,
    retries: u64,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            circuit: Mutex::new(Circuit::Closed { failures: 0 }),
            state: AtomicU64::new(CircuitState::Closed as u64),
            budget: Mutex::new(Budget {
                since: Instant::now(),
                requests: 0,
                retries: 0,
            }),
            retries: AtomicU64::new(0),
            short_circuits: AtomicU64::new(0),
        }
    }
}

impl Health {
    /// Whether a request may go to the subgraph now; counts it for the retry budget.
    pub(crate) fn admit(&self) -> bool {
        let admitted = {
            let mut circuit = self.lock_circuit();
            match *circuit {
                Circuit::Closed { .. } => true,
                Circuit::Open { until } if Instant::now() >= until => {
                    *circuit = Circuit::HalfOpen;
                    self.set(CircuitState::HalfOpen);
                    true
                }
                Circuit::Open { .. } | Circuit::HalfOpen => false,
            }
        };
        if admitted {
            self.budget(|budget| budget.requests += 1);
            true
        } else {
            self.short_circuits.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// Whether the budget allows one more retry now; takes it if so.
    pub(crate) fn take_retry(&self, shaping: &Shaping) -> bool {
        let allowed = self.budget(|budget| {
            let allowance = BUDGET_FLOOR + budget.requests * shaping.budget_percent / 100;
            let allowed = budget.retries < allowance;
            if allowed {
                budget.retries += 1;
            }
            allowed
        });
        if allowed {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        allowed
    }

    /// A request that got its answer.
    pub(crate) fn succeeded(&self) {
        let mut circuit = self.lock_circuit();
        *circuit = Circuit::Closed { failures: 0 };
        self.set(CircuitState::Closed);
    }

    /// A request that failed (broken, 5xx, timed out).
    pub(crate) fn failed(&self, shaping: &Shaping) {
        if shaping.failure_threshold == 0 {
            return;
        }
        let mut circuit = self.lock_circuit();
        let open = match *circuit {
            Circuit::Closed { failures } if failures + 1 < shaping.failure_threshold => {
                *circuit = Circuit::Closed {
                    failures: failures + 1,
                };
                false
            }
            _ => true,
        };
        if open {
            *circuit = Circuit::Open {
                until: Instant::now() + shaping.open_for,
            };
            self.set(CircuitState::Open);
        }
    }

    fn set(&self, state: CircuitState) {
        self.state.store(state as u64, Ordering::Relaxed);
    }

    fn lock_circuit(&self) -> std::sync::MutexGuard<'_, Circuit> {
        self.circuit.lock().unwrap_or_else(|err| err.into_inner())
    }

    fn budget<T>(&self, update: impl FnOnce(&mut Budget) -> T) -> T {
        let mut budget = self.budget.lock().unwrap_or_else(|err| err.into_inner());
        if budget.since.elapsed() >= BUDGET_WINDOW {
            *budget = Budget {
                since: Instant::now(),
                requests: 0,
                retries: 0,
            };
        }
        update(&mut budget)
    }
}

/// The wait before retry `attempt` (1 for the first): the backoff doubled each time, between
/// half and all of it (jitter, so that clients failed together do not retry together).
pub(crate) fn backoff(shaping: &Shaping, attempt: u32) -> Duration {
    let full = shaping.backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
    full.mul_f64(0.5 + fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaping() -> Shaping {
        Shaping {
            failure_threshold: 3,
            open_for: Duration::from_millis(50),
            ..Shaping::default()
        }
    }

    #[test]
    fn the_circuit_opens_after_failures_in_a_row_and_a_probe_closes_it() {
        let shaping = shaping();
        let health = Health::default();
        for _ in 0..2 {
            assert!(health.admit());
            health.failed(&shaping);
        }
        assert!(health.admit());
        health.succeeded();
        // A success in between starts the count again.
        for _ in 0..3 {
            assert!(health.admit());
            health.failed(&shaping);
        }
        assert_eq!(
            health.state.load(Ordering::Relaxed),
            CircuitState::Open as u64
        );
        assert!(!health.admit());
        std::thread::sleep(Duration::from_millis(60));
        // One probe, and no other request while it is out.
        assert!(health.admit());
        assert!(!health.admit());
        health.failed(&shaping);
        assert!(!health.admit(), "a failed probe opens it again");
        std::thread::sleep(Duration::from_millis(60));
        assert!(health.admit());
        health.succeeded();
        assert!(health.admit() && health.admit());
        assert_eq!(
            health.state.load(Ordering::Relaxed),
            CircuitState::Closed as u64
        );
        assert_eq!(health.short_circuits.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn retries_stay_within_the_budget() {
        let shaping = shaping();
        let health = Health::default();
        for _ in 0..100 {
            health.admit();
        }
        // 10 whatever the load, plus 20 % of 100 requests.
        let granted = (0..100).filter(|_| health.take_retry(&shaping)).count();
        assert_eq!(granted, 30);
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let shaping = Shaping::default();
        for attempt in 1..=3 {
            let full = shaping.backoff * 2u32.pow(attempt - 1);
            let wait = backoff(&shaping, attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }
}
