//! SQLite3 Multiple Ciphers, built by this crate's `build.rs` for `libsqlite3-sys` (used without
//! `bundled`) to link: the SQLite of the encrypted store. It owns the C build and its options,
//! nothing else; the store (`gridpatrol_core::store`) sets the key.
//!
//! A crate links only what it names, so the core names this one (`use gridpatrol_sqlite3mc as
//! _;`): the archive is then on every link line that has rusqlite on it.
