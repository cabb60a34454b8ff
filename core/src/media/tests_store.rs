//! Unit tests of the photo store: content-addressed files, ids, no files left by a failed add,
//! the start-up sweep of temp files.

use std::path::Path;

use super::tests::{config, decode, jpeg};
use super::*;

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn store_is_content_addressed_and_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PhotoStore::new(dir.path(), config()).expect("store");
    let input = jpeg(2400, 1600);
    let first = store.add(&input).expect("add");
    let second = store.add(&input).expect("add again");
    assert_eq!(first, second);
    let sha = &first.sha256;
    let path = store.path_of(sha).expect("path");
    assert_eq!(
        path,
        dir.path()
            .join("photos")
            .join(&sha[..2])
            .join(format!("{sha}.jpg"))
    );
    let files = files_under(dir.path());
    assert_eq!(files.len(), 2, "one photo and one thumbnail: {files:?}");
    let stored = store.read(sha).expect("read");
    assert_eq!(sha256_hex(&stored), *sha);
    assert_eq!(stored.len() as u64, first.bytes);
    let thumb = store.read_thumb(sha).expect("thumb");
    assert_eq!(sha256_hex(&thumb), first.thumb_sha256);
    assert_eq!(decode(&thumb).dimensions(), (320, 213));
    assert!(store.contains(sha).expect("contains"));

    assert!(store.remove(sha).expect("remove"));
    assert!(!store.contains(sha).expect("contains"));
    assert!(!store.remove(sha).expect("remove again"));
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn store_rejects_ids_that_are_not_sha256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PhotoStore::new(dir.path(), config()).expect("store");
    for bad in ["../../etc/passwd", "", "AB", &"A".repeat(64), &"g".repeat(64)] {
        assert!(matches!(store.path_of(bad), Err(MediaError::InvalidPhotoId)));
        assert!(matches!(store.read(bad), Err(MediaError::InvalidPhotoId)));
    }
}

#[test]
fn failed_add_leaves_no_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PhotoStore::new(dir.path(), config()).expect("store");
    let input = jpeg(640, 480);
    assert!(store.add(&input[..input.len() / 2]).is_err());
    assert!(store.add(&[]).is_err());
    assert!(files_under(dir.path()).is_empty());

    // Make the final rename fail: a non-empty directory sits where the photo must go.
    let sha = process(&input, &config()).expect("process").meta.sha256;
    let blocker = store.path_of(&sha).expect("path");
    std::fs::create_dir_all(blocker.join("occupied")).expect("blocker");
    std::fs::write(blocker.join("occupied").join("x"), b"x").expect("blocker file");
    assert!(matches!(store.add(&input), Err(MediaError::Io(_))));
    let leftovers: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|p| !p.starts_with(&blocker))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn sweep_removes_stale_temp_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PhotoStore::new(dir.path(), config()).expect("store");
    let photo = store.add(&jpeg(640, 480)).expect("add");
    let shard = store.path_of(&photo.sha256).expect("path");
    let shard = shard.parent().expect("shard");
    std::fs::write(shard.join(".abc.jpg.1.2.tmp"), b"partial").expect("temp");
    assert_eq!(store.sweep_temp_files().expect("sweep"), 1);
    assert_eq!(files_under(dir.path()).len(), 2);
    assert!(store.contains(&photo.sha256).expect("contains"));
}
