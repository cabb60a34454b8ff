//! Compiles the SQLite3 Multiple Ciphers amalgamation (carried untouched by `sqlite3mc-src`)
//! into `libsqlite3.a` in this crate's OUT_DIR.
//!
//! `libsqlite3-sys` is used without its `bundled` feature, so it asks the linker for
//! `-lsqlite3`; the search path printed here comes before the system's, so that name resolves to
//! this archive on every target (and the crate's own `static=sqlite3` bundles it into the rlib,
//! so a staticlib for iOS carries it too). `SQLITE3_NO_PKG_CONFIG` (set in `.cargo/config.toml`)
//! keeps `libsqlite3-sys` from finding a system SQLite through pkg-config instead.
//!
//! Only the ChaCha20-Poly1305 cipher is compiled: the store uses nothing else, and each other
//! cipher costs library size. The SQLite options are the ones the project uses (R*Tree for the
//! benches' reference); FTS, the extension loader and the other optional modules stay out.

fn main() {
    let dir = sqlite3mc_src::source_dir();
    let source = dir.join(sqlite3mc_src::SOURCE_FILE);
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut build = cc::Build::new();
    build
        .file(&source)
        .include(dir)
        .define("SQLITE_CORE", None)
        .define("SQLITE_THREADSAFE", "1")
        .define("SQLITE_DEFAULT_FOREIGN_KEYS", "1")
        .define("SQLITE_ENABLE_API_ARMOR", None)
        .define("SQLITE_ENABLE_RTREE", None)
        .define("SQLITE_USE_URI", None)
        .define("SQLITE_OMIT_LOAD_EXTENSION", None)
        .define("SQLITE_OMIT_DEPRECATED", None)
        .define("SQLITE_OMIT_SHARED_CACHE", None)
        .define("HAVE_USLEEP", "1")
        .define("HAVE_ISNAN", None)
        .define("HAVE_LOCALTIME_R", None)
        .define("HAVE_CIPHER_CHACHA20", "1")
        .define("HAVE_CIPHER_AES_128_CBC", "0")
        .define("HAVE_CIPHER_AES_256_CBC", "0")
        .define("HAVE_CIPHER_SQLCIPHER", "0")
        .define("HAVE_CIPHER_RC4", "0")
        .define("HAVE_CIPHER_ASCON128", "0")
        .define("HAVE_CIPHER_AEGIS", "0")
        .define("CODEC_TYPE", "CODEC_TYPE_CHACHA20")
        .warnings(false);
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "android") {
        // Android gives SQLite no temp directory it can find: temp tables stay in memory, as
        // in Android's own SQLite build.
        build.define("SQLITE_TEMP_STORE", "3");
    }
    build.compile("sqlite3");
}
