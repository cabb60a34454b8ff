//! Unfinished photo uploads over real HTTP on 127.0.0.1: each belongs to the device that started
//! it (others cannot append to it, complete it or fix its length), two devices uploading the
//! same photo do not disturb each other, an empty PATCH creates nothing, partials count against
//! a per-device quota and expire.

mod common;

use common::*;
use reqwest::StatusCode;

async fn head(served: &Served, device: &Device, sha: &str) -> (StatusCode, Option<String>) {
    let response = served
        .http
        .head(served.url(&format!("/v1/photos/{sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    (response.status(), header(&response, "upload-offset"))
}

async fn stored_photo(served: &Served, sha: &str) -> Vec<u8> {
    std::fs::read(served.dir.path().join("photos").join(&sha[..2]).join(sha)).expect("stored photo")
}

#[tokio::test]
async fn another_device_cannot_complete_a_partial_with_junk() {
    let served = start(config()).await;
    let owner = enroll(&served).await;
    let intruder = enroll(&served).await;
    let photo = photo_bytes(31, 60_000);
    let sha = sha256_hex(&photo);
    let total = photo.len() as u64;
    let half = photo.len() / 2;
    let response = patch_photo(&served, &owner, &sha, 0, total, &photo[..half]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // The intruder knows the hash: it sees nothing of the owner's upload and cannot append to it.
    assert_eq!(head(&served, &intruder, &sha).await.0, StatusCode::NOT_FOUND);
    let junk = vec![0u8; photo.len() - half];
    let response = patch_photo(&served, &intruder, &sha, half as u64, total, &junk).await;
    let body = problem(response, StatusCode::CONFLICT, "upload_offset_mismatch").await;
    assert_eq!(body["upload_offset"], 0);

    // Its own junk upload of the whole length fails the hash check and touches nothing else.
    let junk = vec![0u8; photo.len()];
    let response = patch_photo(&served, &intruder, &sha, 0, total, &junk).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "photo_hash_mismatch").await;

    // The owner resumes where it was.
    let (status, offset) = head(&served, &owner, &sha).await;
    assert_eq!((status, offset), (StatusCode::OK, Some(half.to_string())));
    let response = patch_photo(&served, &owner, &sha, half as u64, total, &photo[half..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored_photo(&served, &sha).await, photo);
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["photos"].as_i64(), stats["partial_photos"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn another_device_cannot_pre_claim_a_photo_with_a_wrong_length() {
    let served = start(config()).await;
    let owner = enroll(&served).await;
    let intruder = enroll(&served).await;
    let photo = photo_bytes(32, 40_000);
    let sha = sha256_hex(&photo);

    // The intruder starts the hash with a wrong Upload-Length before the owner.
    let response = patch_photo(&served, &intruder, &sha, 0, 1_000_000, &photo[..100]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(served.admin_stats().await["partial_photos"], 1);

    // The owner's upload goes through in one PATCH; the photo, once verified, is shared, and
    // the intruder's partial of it is gone.
    upload_photo(&served, &owner, &photo).await;
    assert_eq!(stored_photo(&served, &sha).await, photo);
    let (status, offset) = head(&served, &intruder, &sha).await;
    assert_eq!((status, offset), (StatusCode::OK, Some(photo.len().to_string())));
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["photos"].as_i64(), stats["partial_photos"].as_i64()),
        (Some(1), Some(0))
    );

    let report = report("0195a000-0000-7000-8000-0000000001a1", &photo);
    assert_eq!(
        put_report(&served, &owner, &report).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn two_devices_uploading_the_same_photo_do_not_break_each_other() {
    let served = start(config()).await;
    let a = enroll(&served).await;
    let b = enroll(&served).await;
    let photo = photo_bytes(33, 90_000);
    let sha = sha256_hex(&photo);
    let total = photo.len() as u64;
    let (third, two_thirds) = (30_000, 60_000);

    // Interleaved chunks: each device's offsets are its own.
    for (device, from, to) in [(&a, 0, third), (&b, 0, two_thirds), (&a, third, two_thirds)] {
        let response = patch_photo(&served, device, &sha, from as u64, total, &photo[from..to]).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(header(&response, "upload-offset"), Some(to.to_string()));
    }
    assert_eq!(served.admin_stats().await["partial_photos"], 2);

    // B completes; A's next chunk learns that the photo is complete.
    let response = patch_photo(&served, &b, &sha, two_thirds as u64, total, &photo[two_thirds..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = patch_photo(&served, &a, &sha, two_thirds as u64, total, &photo[two_thirds..]).await;
    let body = problem(response, StatusCode::CONFLICT, "upload_offset_mismatch").await;
    assert_eq!(body["upload_offset"], total);
    assert_eq!(stored_photo(&served, &sha).await, photo);
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["photos"].as_i64(), stats["partial_photos"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn an_own_partial_of_another_length_starts_over_from_zero() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(34, 20_000);
    let sha = sha256_hex(&photo);
    let total = photo.len() as u64;
    // A stale partial of this device, started with a wrong length.
    let response = patch_photo(&served, &device, &sha, 0, total + 5_000, &photo[..10_000]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // Resuming it with the right length: 409 saying what is held, nothing changed.
    let response = patch_photo(&served, &device, &sha, 10_000, total, &photo[10_000..]).await;
    let body = problem(response, StatusCode::CONFLICT, "upload_length_mismatch").await;
    assert_eq!(
        (body["upload_length"].as_u64(), body["upload_offset"].as_u64()),
        (Some(total + 5_000), Some(0))
    );
    assert_eq!(head(&served, &device, &sha).await.1, Some("10000".to_string()));

    // From offset 0 with the right length, the upload starts over.
    upload_photo(&served, &device, &photo).await;
    assert_eq!(stored_photo(&served, &sha).await, photo);
    assert_eq!(served.admin_stats().await["partial_photos"], 0);
}

#[tokio::test]
async fn an_empty_patch_creates_nothing() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(35, 5_000);
    let sha = sha256_hex(&photo);
    let response = patch_photo(&served, &device, &sha, 0, photo.len() as u64, &[]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "upload-offset"), Some("0".to_string()));
    assert_eq!(head(&served, &device, &sha).await.0, StatusCode::NOT_FOUND);
    assert_eq!(served.admin_stats().await["partial_photos"], 0);
    let files = std::fs::read_dir(served.dir.path().join("photos/partial"))
        .expect("partial dir")
        .count();
    assert_eq!(files, 0);
}

#[tokio::test]
async fn partials_count_against_a_per_device_quota() {
    let mut cfg = config();
    cfg.limits.partial_photos_per_device = 2;
    cfg.limits.partial_bytes_per_device = 100_000;
    let served = start(cfg).await;
    let device = enroll(&served).await;
    let other = enroll(&served).await;
    let photos: Vec<Vec<u8>> = (0..3).map(|i| photo_bytes(40 + i, 30_000)).collect();
    for photo in &photos[..2] {
        let response = patch_photo(&served, &device, &sha256_hex(photo), 0, 30_000, &photo[..10]).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    // A third partial is over the count.
    let sha = sha256_hex(&photos[2]);
    let response = patch_photo(&served, &device, &sha, 0, 30_000, &photos[2][..10]).await;
    let retry_after = header(&response, "retry-after").expect("Retry-After");
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS, "partial_quota_exceeded").await;
    assert_eq!(
        (
            body["limit_partials"].as_u64(),
            body["limit_partial_bytes"].as_u64()
        ),
        (Some(2), Some(100_000))
    );
    // A week from expiry: capped at a minute (an upload in progress frees its place sooner).
    assert_eq!(retry_after, "60");
    assert_eq!(head(&served, &device, &sha).await.0, StatusCode::NOT_FOUND);

    // Another device has its own quota; a complete upload in one PATCH still counts while it is
    // received, so one over the byte total is refused too.
    let response = patch_photo(&served, &other, &sha, 0, 30_000, &photos[2][..10]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let big = photo_bytes(50, 80_000);
    let response = patch_photo(&served, &other, &sha256_hex(&big), 0, 80_000, &big).await;
    problem(response, StatusCode::TOO_MANY_REQUESTS, "partial_quota_exceeded").await;

    // Finishing one frees its place.
    let first = &photos[0];
    let response = patch_photo(&served, &device, &sha256_hex(first), 10, 30_000, &first[10..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = patch_photo(&served, &device, &sha, 0, 30_000, &photos[2][..10]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(served.admin_stats().await["partial_photos"], 3);
}

#[tokio::test]
async fn partials_left_alone_expire() {
    let mut cfg = config();
    cfg.partial_photo_ttl_s = 1;
    let mut served = start(cfg.clone()).await;
    let device = enroll(&served).await;
    let old = photo_bytes(60, 20_000);
    let old_sha = sha256_hex(&old);
    let response = patch_photo(&served, &device, &old_sha, 0, 20_000, &old[..5_000]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;

    // Expired: not offered for resumption; a PATCH from where it was starts nothing.
    assert_eq!(head(&served, &device, &old_sha).await.0, StatusCode::NOT_FOUND);
    let response = patch_photo(&served, &device, &old_sha, 5_000, 20_000, &old[5_000..]).await;
    let body = problem(response, StatusCode::CONFLICT, "upload_offset_mismatch").await;
    assert_eq!(body["upload_offset"], 0);
    // Any later upload sweeps the expired ones of every device.
    let other = enroll(&served).await;
    let abandoned = photo_bytes(61, 20_000);
    let response = patch_photo(
        &served,
        &other,
        &sha256_hex(&abandoned),
        0,
        20_000,
        &abandoned[..10],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(served.admin_stats().await["partial_photos"], 1);

    // A partial that expires while the platform is down is removed when it opens.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    served.restart(cfg).await;
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["partial_photos"].as_i64(), stats["photos"].as_i64()),
        (Some(0), Some(0))
    );
    let files = std::fs::read_dir(served.dir.path().join("photos/partial"))
        .expect("partial dir")
        .count();
    assert_eq!(files, 0);
}

#[tokio::test]
async fn a_completion_cut_between_rename_and_commit_is_finished_at_open() {
    let mut served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(70, 30_000);
    let sha = sha256_hex(&photo);
    let response = patch_photo(&served, &device, &sha, 0, 30_000, &photo[..10_000]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    served.stop().await;

    // What a crash right after the rename leaves: the whole photo under its final name, the
    // partial's row without its file.
    let photos = served.dir.path().join("photos");
    let parts: Vec<_> = std::fs::read_dir(photos.join("partial"))
        .expect("partial dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(parts.len(), 1);
    std::fs::remove_file(&parts[0]).expect("remove partial");
    std::fs::create_dir_all(photos.join(&sha[..2])).expect("shard");
    std::fs::write(photos.join(&sha[..2]).join(&sha), &photo).expect("final");

    served.restart(config()).await;
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["photos"].as_i64(), stats["partial_photos"].as_i64()),
        (Some(1), Some(0))
    );
    let (status, offset) = head(&served, &device, &sha).await;
    assert_eq!((status, offset), (StatusCode::OK, Some("30000".to_string())));
    let report = report("0195a000-0000-7000-8000-0000000001b1", &photo);
    assert_eq!(
        put_report(&served, &device, &report).await.status(),
        StatusCode::CREATED
    );
}
