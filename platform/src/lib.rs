//! gridpatrol-platform: the reference command platform that devices sync with.
//!
//! Will own the platform side of the sync protocol (enrollment, event-list and grid package
//! downloads, idempotent report and resumable photo upload) over HTTP with an embedded SQLite,
//! running the same validation as the device by calling `gridpatrol-core`. Nothing of the
//! protocol exists yet: it is built with the sync-engine issue, and until then this crate only
//! re-exports the rule set it will share with the device.

/// The event list the platform validates against: the same code as the device's.
pub use gridpatrol_core::taxonomy::EventList;
