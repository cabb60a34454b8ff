//! The bindings generator, pinned to the same uniffi as the library (the generated code checks
//! the contract version at load, so they must match).

fn main() {
    uniffi::uniffi_bindgen_main()
}
