//! End-to-end tests of gridpatrol live in `tests/tests/`; this crate has no library code.
