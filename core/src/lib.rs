//! gridpatrol-core: everything a grid worker's phone does, without the phone.
//!
//! Owns the domain logic shared by the Android and iOS apps (through `gridpatrol-ffi`) and by the
//! reference platform: the event list and its search ([`taxonomy`]), grids and the lookup of a fix in them
//! ([`grid`]), the photo pipeline ([`media`]), the on-device store
//! ([`store`]) and the [`Client`] that ties them to one data directory. It owns no UI, no
//! platform-specific code and no FFI types: the bindings crate is a thin layer over this one.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

// Links SQLite3 Multiple Ciphers under rusqlite (a crate is linked only when named).
use gridpatrol_sqlite3mc as _;
pub mod call_gate;
pub mod canonical;
pub mod capture;
pub mod claim;
pub mod client;
pub mod component;
pub mod error;
pub mod grid;
pub mod ids;
pub mod keys;
pub mod location;
pub mod media;
pub mod noise;
pub mod salvage;
pub mod sqlite;
pub mod store;
pub mod sync;
pub mod taxonomy;
pub mod time;
pub mod track;

pub use client::Client;
pub use error::{Error, Result};

/// The library version, as the host app shows it in its "about" screen and sends to the platform.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
