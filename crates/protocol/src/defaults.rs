//! Defaults the spec fixes for settings a document leaves out (dsl-spec §7, §8.8).
//! Durations are milliseconds.

/// Agent step retries (dsl-spec §7.2), and for capabilities marked rate-limited.
pub const AGENT_MAX_RETRIES: u32 = 3;
/// Agent step retries for rate-limited capabilities (dsl-spec §7.2).
pub const AGENT_RATE_LIMITED_MAX_RETRIES: u32 = 5;
/// Agent step base retry delay (dsl-spec §7.2).
pub const AGENT_RETRY_DELAY_MS: u64 = 1000;
/// Agent step base retry delay for rate-limited capabilities (dsl-spec §7.2).
pub const AGENT_RATE_LIMITED_RETRY_DELAY_MS: u64 = 2000;
/// Time an Agent step may spend waiting on rate limits (dsl-spec §7.2 `rateLimitBudgetMs`).
pub const RATE_LIMIT_BUDGET_MS: u64 = 60_000;
/// Split retries of the whole step (dsl-spec §7.4).
pub const SPLIT_MAX_RETRIES: u32 = 0;
/// Split base retry delay (dsl-spec §7.4).
pub const SPLIT_RETRY_DELAY_MS: u64 = 1000;
/// EmbedWorkflow retries (dsl-spec §7.6).
pub const EMBED_MAX_RETRIES: u32 = 3;
/// EmbedWorkflow base retry delay (dsl-spec §7.6).
pub const EMBED_RETRY_DELAY_MS: u64 = 1000;
/// Cap of one exponential retry backoff (dsl-spec §8.8).
pub const RETRY_BACKOFF_CAP_MS: u64 = 60_000;
/// While iterations when `maxIterations` is absent (dsl-spec §7.5).
pub const WHILE_MAX_ITERATIONS: u32 = 10;
/// How often WaitForSignal polls the store (dsl-spec §7.13 `pollIntervalMs`).
pub const WAIT_POLL_INTERVAL_MS: u64 = 1000;
/// AiAgent turns of the tool loop (dsl-spec §7.14 `maxIterations`).
pub const AI_MAX_ITERATIONS: u32 = 10;
/// AiAgent retries of a single-shot call (dsl-spec §7.14 `maxRetries`).
pub const AI_MAX_RETRIES: u32 = 0;
/// AiAgent base retry delay (dsl-spec §7.14 `retryDelay`).
pub const AI_RETRY_DELAY_MS: u64 = 1000;
/// Time one LLM turn may take (dsl-spec §7.14 `turnTimeout`).
pub const AI_TURN_TIMEOUT_MS: u64 = 180_000;
/// Messages kept by conversation-memory compaction (dsl-spec §7.14 `maxMessages`).
pub const AI_MEMORY_MAX_MESSAGES: u64 = 50;
