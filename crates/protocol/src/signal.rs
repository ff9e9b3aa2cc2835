//! Control signals: what `runtara signal ID pause|resume|cancel` sends and a run honours at
//! its next step boundary (README "Durability").

/// A control signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Stop at the next step boundary (the run exits suspended); rerun to continue.
    Pause,
    /// Clear a pause.
    Resume,
    /// Stop at the next step boundary for good (the run exits cancelled).
    Cancel,
}

impl Signal {
    /// The signal's name on the wire and in stores: `pause`, `resume`, `cancel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::Pause => "pause",
            Signal::Resume => "resume",
            Signal::Cancel => "cancel",
        }
    }

    /// The signal named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Signal> {
        match name {
            "pause" => Some(Signal::Pause),
            "resume" => Some(Signal::Resume),
            "cancel" => Some(Signal::Cancel),
            _ => None,
        }
    }

    /// The signal a run must act on, from a stored or carried name: pause or cancel;
    /// `resume` (which only clears a pause) and anything else are none.
    pub fn pending(name: Option<&str>) -> Option<Signal> {
        name.and_then(Signal::parse).filter(|s| *s != Signal::Resume)
    }
}
