//! Warnings about retry, iteration and timeout settings (dsl-spec §9.2 W030–W034, W071,
//! W073).

use super::Validator;
use crate::model::Step;

const HIGH_RETRIES: u32 = 50;
const LONG_MS: u64 = 3_600_000;
const HIGH_ITERATIONS: u32 = 10_000;

impl Validator<'_> {
    pub(super) fn limits(&mut self, step: &Step, sp: &str) {
        let id = Some(step.id());
        let (retries, delay, timeout, retries_at) = match step {
            Step::Agent(s) => (s.max_retries, s.retry_delay, s.timeout, "maxRetries"),
            Step::EmbedWorkflow(s) => (s.max_retries, s.retry_delay, s.timeout, "maxRetries"),
            Step::Split(s) => {
                let c = s.config.as_ref();
                if let Some(n) = c.and_then(|c| c.parallelism).filter(|n| *n != 1) {
                    self.warn(
                        "W073",
                        id,
                        format!("{sp}/config/parallelism"),
                        format!("parallelism {n} only changes scheduling; results and order stay sequential"),
                        "remove parallelism or set it to 1 to silence this",
                    );
                }
                (
                    c.and_then(|c| c.max_retries),
                    c.and_then(|c| c.retry_delay),
                    c.and_then(|c| c.timeout),
                    "config/maxRetries",
                )
            }
            Step::While(s) => {
                let c = s.config.as_ref();
                if let Some(n) = c.and_then(|c| c.max_iterations).filter(|n| *n > HIGH_ITERATIONS) {
                    self.warn(
                        "W033",
                        id,
                        format!("{sp}/config/maxIterations"),
                        format!("maxIterations {n} is above {HIGH_ITERATIONS}"),
                        "lower maxIterations",
                    );
                }
                (None, None, c.and_then(|c| c.timeout), "")
            }
            Step::AiAgent(s) => {
                let c = s.config.as_ref();
                (c.and_then(|c| c.max_retries), c.and_then(|c| c.retry_delay), None, "config/maxRetries")
            }
            _ => return,
        };
        if let Some(n) = retries.filter(|n| *n > HIGH_RETRIES) {
            self.warn(
                "W030",
                id,
                format!("{sp}/{retries_at}"),
                format!("maxRetries {n} is above {HIGH_RETRIES}"),
                "lower maxRetries; failures that need that many retries need another design",
            );
        }
        if let Some(d) = delay.filter(|d| *d > LONG_MS) {
            self.warn("W031", id, sp.to_string(), format!("retryDelay {d} ms is over an hour"), "lower retryDelay");
        }
        if let Some(t) = timeout.filter(|t| *t > LONG_MS) {
            self.warn("W034", id, sp.to_string(), format!("timeout {t} ms is over an hour"), "lower the timeout");
        }
        if matches!(step, Step::Agent(_) | Step::EmbedWorkflow(_)) && timeout.is_some() {
            self.warn(
                "W071",
                id,
                format!("{sp}/timeout"),
                "the timeout is passed to the capability as timeout_ms and never preempts the step".into(),
                "rely on the capability's own timeout handling",
            );
        }
    }
}
