//! Unit tests of opening a data directory.

use super::*;

#[test]
fn open_creates_the_directory_and_reopens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("nested/data");
    let client = Client::open(&data).expect("open");
    assert!(data.join(DATABASE_FILE).exists());
    drop(client);
    Client::open(&data).expect("reopen");
}

#[test]
fn a_second_open_of_a_live_directory_is_refused_and_sweeps_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Client::open(dir.path()).expect("open");
    // A photo being written by the first instance: a temp file in its photo store.
    let temp = dir
        .path()
        .join(PHOTO_DIR)
        .join("photos")
        .join("ab")
        .join(".in-flight.jpg.tmp");
    std::fs::create_dir_all(temp.parent().expect("parent")).expect("dir");
    std::fs::write(&temp, b"half a photo").expect("temp");
    // A second instance in this process waits for the first, then gives up.
    assert!(matches!(Client::open(dir.path()), Err(Error::DataDirectoryInUse)));
    assert!(temp.exists(), "the live instance's temp file is untouched");
    drop(first);
    Client::open(dir.path()).expect("free once the first is closed");
}

#[test]
fn an_empty_data_dir_is_refused() {
    assert!(matches!(
        Client::open(""),
        Err(Error::InvalidArgument {
            field: "data_dir",
            ..
        })
    ));
}

#[test]
fn a_file_in_the_way_is_a_data_directory_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("occupied");
    std::fs::write(&file, b"x").expect("write");
    assert!(matches!(Client::open(&file), Err(Error::DataDirectory { .. })));
}
