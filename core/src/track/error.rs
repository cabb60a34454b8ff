//! Why a patrol call was refused. Every refusal leaves the store and the recorder as they were.

/// A refused patrol call, with a stable [`TrackError::code`]. Messages carry no coordinates,
/// names or input text: codes, counts and field names only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    /// Latitude or longitude is NaN or infinite.
    #[error("fix coordinates must be finite numbers")]
    FixNotFinite,
    /// Latitude outside -90..=90 or longitude outside -180..=180.
    #[error("fix coordinates out of range")]
    FixOutOfRange,
    /// Accuracy NaN, infinite or negative.
    #[error("fix accuracy must be a finite number of metres, zero or more")]
    FixBadAccuracy,
    /// The fix is dated more than the allowed clock skew after now.
    #[error("fix time is more than {tolerance_s} s in the future")]
    FixInFuture { tolerance_s: i64 },
    /// The fix is dated before the patrol started.
    #[error("fix time is before the patrol started")]
    FixBeforeStart,
    /// A batch larger than the recorder accepts in one call.
    #[error("batch of {count} fixes is over the limit of {limit}")]
    BatchTooLarge { count: usize, limit: usize },
    /// No patrol with this id on this device.
    #[error("no patrol with this id")]
    PatrolUnknown,
    /// The patrol was stopped: it takes no more fixes and cannot be paused or resumed.
    #[error("the patrol is stopped")]
    PatrolStopped,
    /// Another patrol is still open (active or paused): resume or stop it first.
    #[error("another patrol is still open")]
    PatrolStillOpen,
    /// Pause of a paused patrol, or resume of an active one.
    #[error("the patrol is already {state}")]
    AlreadyInState { state: &'static str },
    /// A start parameter out of its range (`field` names it).
    #[error("invalid patrol {field}: {reason}")]
    InvalidStart {
        field: &'static str,
        reason: &'static str,
    },
}

impl TrackError {
    /// A stable machine code for the kind of refusal (apps and the CLI switch on it).
    pub fn code(&self) -> &'static str {
        match self {
            TrackError::FixNotFinite => "fix_not_finite",
            TrackError::FixOutOfRange => "fix_out_of_range",
            TrackError::FixBadAccuracy => "fix_bad_accuracy",
            TrackError::FixInFuture { .. } => "fix_in_future",
            TrackError::FixBeforeStart => "fix_before_start",
            TrackError::BatchTooLarge { .. } => "batch_too_large",
            TrackError::PatrolUnknown => "patrol_unknown",
            TrackError::PatrolStopped => "patrol_stopped",
            TrackError::PatrolStillOpen => "patrol_still_open",
            TrackError::AlreadyInState { .. } => "patrol_already_in_state",
            TrackError::InvalidStart { .. } => "patrol_invalid_start",
        }
    }
}
