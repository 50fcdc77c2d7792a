//! Restart strategies: whether, and after how long, a failed job restarts from its latest
//! completed checkpoint (Flink's `restart-strategy.*`).
//!
//! A pure state machine: [`RestartTracker::on_failure`] takes the failure's time and
//! answers with a [`RestartDecision`]; the executor sleeps and restarts, or gives up.
//! Flink's default applies: with checkpointing and no strategy chosen, fixed delay with
//! unlimited attempts and one second between them; without checkpointing, no restart.

use std::collections::VecDeque;
use std::time::Duration;

/// How a job reacts to a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum RestartStrategy {
    /// Fail the job at the first failure (`none`).
    None,
    /// Restart up to `attempts` times, waiting `delay` each time (`fixed-delay`).
    FixedDelay {
        /// Restarts allowed in the job's life.
        attempts: u32,
        /// Wait before each restart.
        delay: Duration,
    },
    /// Restart unless more than `max_failures` happened within `interval`
    /// (`failure-rate`).
    FailureRate {
        /// Failures tolerated per interval.
        max_failures: u32,
        /// The sliding interval.
        interval: Duration,
        /// Wait before each restart.
        delay: Duration,
    },
    /// Restart with a delay that grows by `multiplier` per failure up to `max_delay`, and
    /// falls back to `initial_delay` after `reset_after` without failure
    /// (`exponential-delay`).
    ExponentialDelay {
        /// The first wait.
        initial_delay: Duration,
        /// The longest wait.
        max_delay: Duration,
        /// Growth per consecutive failure.
        multiplier: f64,
        /// A run this long without failure resets the delay.
        reset_after: Duration,
    },
}

impl RestartStrategy {
    /// Flink's default for a job with checkpointing: fixed delay, unlimited, 1 s.
    pub fn default_with_checkpointing() -> Self {
        RestartStrategy::FixedDelay { attempts: u32::MAX, delay: Duration::from_secs(1) }
    }

    /// Parses Flink's names: `none`, `fixed-delay:ATTEMPTS:DELAY_MS`,
    /// `failure-rate:MAX:INTERVAL_MS:DELAY_MS`, `exponential-delay:INITIAL_MS:MAX_MS`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir_runtime::restart::RestartStrategy;
    /// assert_eq!(
    ///     RestartStrategy::parse("fixed-delay:3:500")?,
    ///     RestartStrategy::FixedDelay { attempts: 3, delay: Duration::from_millis(500) }
    /// );
    /// assert!(RestartStrategy::parse("sometimes").is_err());
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    /// An unknown strategy or a malformed number, naming the expected form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let num = |i: usize| -> Result<u64, String> {
            parts
                .get(i)
                .ok_or_else(|| format!("restart strategy '{text}' lacks a number"))?
                .parse::<u64>()
                .map_err(|e| format!("restart strategy '{text}': {e}"))
        };
        let ms = |i: usize| num(i).map(Duration::from_millis);
        match parts[0] {
            "none" | "off" | "disable" => Ok(RestartStrategy::None),
            "fixed-delay" => Ok(RestartStrategy::FixedDelay { attempts: num(1)? as u32, delay: ms(2)? }),
            "failure-rate" => {
                Ok(RestartStrategy::FailureRate { max_failures: num(1)? as u32, interval: ms(2)?, delay: ms(3)? })
            }
            "exponential-delay" => Ok(RestartStrategy::ExponentialDelay {
                initial_delay: ms(1)?,
                max_delay: ms(2)?,
                multiplier: 2.0,
                reset_after: Duration::from_secs(3600),
            }),
            other => Err(format!(
                "unknown restart strategy '{other}': expected none, fixed-delay:ATTEMPTS:DELAY_MS, \
                 failure-rate:MAX:INTERVAL_MS:DELAY_MS or exponential-delay:INITIAL_MS:MAX_MS"
            )),
        }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartDecision {
    /// Restart after this delay.
    Restart(Duration),
    /// Fail the job.
    GiveUp,
}

/// Applies a [`RestartStrategy`] over a job's life.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    strategy: RestartStrategy,
    restarts: u32,
    failures_ms: VecDeque<u64>,
    current_delay: Option<Duration>,
    last_failure_ms: Option<u64>,
}

impl RestartTracker {
    /// A tracker with no failures yet.
    pub fn new(strategy: RestartStrategy) -> Self {
        RestartTracker {
            strategy,
            restarts: 0,
            failures_ms: VecDeque::new(),
            current_delay: None,
            last_failure_ms: None,
        }
    }

    /// How many restarts were granted.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The job failed at `now_ms`.
    pub fn on_failure(&mut self, now_ms: u64) -> RestartDecision {
        let decision = match &self.strategy {
            RestartStrategy::None => RestartDecision::GiveUp,
            RestartStrategy::FixedDelay { attempts, delay } => {
                if self.restarts < *attempts {
                    RestartDecision::Restart(*delay)
                } else {
                    RestartDecision::GiveUp
                }
            }
            RestartStrategy::FailureRate { max_failures, interval, delay } => {
                self.failures_ms.push_back(now_ms);
                let window = interval.as_millis() as u64;
                while self.failures_ms.front().is_some_and(|&t| now_ms.saturating_sub(t) > window) {
                    self.failures_ms.pop_front();
                }
                if self.failures_ms.len() as u32 > *max_failures {
                    RestartDecision::GiveUp
                } else {
                    RestartDecision::Restart(*delay)
                }
            }
            RestartStrategy::ExponentialDelay { initial_delay, max_delay, multiplier, reset_after } => {
                let quiet =
                    self.last_failure_ms.is_some_and(|t| now_ms.saturating_sub(t) >= reset_after.as_millis() as u64);
                let delay = match self.current_delay {
                    Some(d) if !quiet => d.mul_f64(*multiplier).min(*max_delay),
                    _ => *initial_delay,
                };
                self.current_delay = Some(delay);
                RestartDecision::Restart(delay)
            }
        };
        self.last_failure_ms = Some(now_ms);
        if let RestartDecision::Restart(_) = decision {
            self.restarts += 1;
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RestartDecision::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn each_strategy_decides_as_flink_does() {
        let cases: Vec<(&str, RestartStrategy, Vec<u64>, Vec<RestartDecision>)> = vec![
            ("none", RestartStrategy::None, vec![0], vec![GiveUp]),
            (
                "fixed delay, two attempts",
                RestartStrategy::FixedDelay { attempts: 2, delay: MS(10) },
                vec![0, 100, 200],
                vec![Restart(MS(10)), Restart(MS(10)), GiveUp],
            ),
            (
                "failure rate: at most 2 per second",
                RestartStrategy::FailureRate { max_failures: 2, interval: MS(1000), delay: MS(5) },
                vec![0, 500, 900, 2500, 2600],
                vec![Restart(MS(5)), Restart(MS(5)), GiveUp, Restart(MS(5)), Restart(MS(5))],
            ),
            (
                "exponential, capped, reset after a quiet hour",
                RestartStrategy::ExponentialDelay {
                    initial_delay: MS(100),
                    max_delay: MS(350),
                    multiplier: 2.0,
                    reset_after: Duration::from_secs(3600),
                },
                vec![0, 1, 2, 3, 3_700_000],
                vec![Restart(MS(100)), Restart(MS(200)), Restart(MS(350)), Restart(MS(350)), Restart(MS(100))],
            ),
        ];
        for (name, strategy, times, want) in cases {
            let mut t = RestartTracker::new(strategy);
            let got: Vec<RestartDecision> = times.iter().map(|&ms| t.on_failure(ms)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn parsing_names_the_expected_forms() {
        assert_eq!(RestartStrategy::parse("none"), Ok(RestartStrategy::None));
        assert_eq!(
            RestartStrategy::parse("failure-rate:3:60000:1000"),
            Ok(RestartStrategy::FailureRate { max_failures: 3, interval: MS(60_000), delay: MS(1000) })
        );
        assert!(RestartStrategy::parse("fixed-delay:x:1").unwrap_err().contains("invalid digit"));
        assert!(RestartStrategy::parse("fixed-delay:3").unwrap_err().contains("lacks a number"));
        assert!(RestartStrategy::parse("maybe").unwrap_err().contains("expected none"));
    }
}
