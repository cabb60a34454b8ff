//! Freeing disk on the phone: `Client::prune_photos` removes photo files nothing needs any more
//! and full-size photos of reports delivered long ago, and never a file a draft, a pending or a
//! parked report needs.

mod sync_support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gridpatrol_core::Client;
use gridpatrol_core::capture::PhotoKind;
use gridpatrol_core::client::PhotoRetention;
use gridpatrol_core::media::PhotoPruneSummary;
use gridpatrol_tests::{inspector, textured_grey_jpeg};
use sync_support::*;

const MONTH: PhotoRetention = PhotoRetention {
    delivered_photo_days: 30,
};

/// Sets every stored file's modification time two hours back, past the prune's grace period.
fn age_files(dir: &Path) {
    let past = SystemTime::now() - Duration::from_secs(2 * 3600);
    for kind in ["photos", "thumbs"] {
        for shard in std::fs::read_dir(dir.join("media").join(kind)).expect("media dir") {
            for file in std::fs::read_dir(shard.expect("shard").path()).expect("shard dir") {
                std::fs::File::options()
                    .write(true)
                    .open(file.expect("file").path())
                    .expect("open")
                    .set_modified(past)
                    .expect("set mtime");
            }
        }
    }
}

fn has_photo(client: &Client, sha256: &str) -> bool {
    client.photos().contains(sha256).expect("contains")
}

fn has_thumb(client: &Client, sha256: &str) -> bool {
    client.photos().thumb_path_of(sha256).expect("path").is_file()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_delivered_and_unreferenced_photos_go_and_needed_ones_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let client = Arc::new(Client::open(&data).expect("client"));
    let photos = base_photos(3);
    // Two reports delivered: photo 0 and photo 1.
    let delivered = capture(&client, 0, 2, 1, &photos[..2], 0);
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "p").await.expect("enroll");
    assert_eq!(
        engine
            .sync_now(Duration::from_secs(60))
            .await
            .expect("sync")
            .delivered,
        2
    );
    // Still pending: a report with photo 0 again (shared with a delivered one).
    let pending = capture(&client, 10, 1, 1, &photos[..1], 0);
    // A draft with photo 2, and a discarded draft whose photo nothing refers to.
    let draft = client.create_draft(inspector("w0"), None).expect("draft");
    let kept = client
        .add_photo(&draft.id, &photos[2], PhotoKind::Evidence)
        .expect("photo");
    let discarded = client.create_draft(inspector("w0"), None).expect("draft");
    let orphan = client
        .add_photo(
            &discarded.id,
            &textured_grey_jpeg(640, 480, 999),
            PhotoKind::Evidence,
        )
        .expect("photo");
    client.discard_draft(&discarded.id).expect("discard");
    let sha = |id: &str| {
        client.report(id).expect("report").content.photos[0]
            .sha256
            .clone()
    };
    let (shared, delivered_only) = (sha(&delivered[0]), sha(&delivered[1]));
    assert_eq!(sha(&pending[0]), shared);

    // Everything was written just now: within the grace period, nothing goes.
    assert_eq!(
        client.prune_photos(MONTH).expect("prune"),
        PhotoPruneSummary::default()
    );
    assert!(has_photo(&client, &orphan.sha256));

    // An hour on, the orphan goes (photo and thumbnail); the rest is referenced.
    age_files(&data);
    // Bytes on disk: the sealed files, a little longer than the JPEGs.
    let on_disk = |path: std::path::PathBuf| std::fs::metadata(path).expect("stored file").len();
    let orphan_photo = on_disk(client.photos().path_of(&orphan.sha256).expect("path"));
    let orphan_thumb = on_disk(client.photos().thumb_path_of(&orphan.sha256).expect("path"));
    let summary = client.prune_photos(MONTH).expect("prune");
    assert_eq!(
        (summary.photos_removed, summary.thumbs_removed),
        (1, 1),
        "{summary:?}"
    );
    assert_eq!(summary.bytes_freed, orphan_photo + orphan_thumb);
    assert!(!has_photo(&client, &orphan.sha256) && !has_thumb(&client, &orphan.sha256));
    for needed in [&shared, &delivered_only, &kept.sha256] {
        assert!(has_photo(&client, needed) && has_thumb(&client, needed));
    }

    // Forty days after delivery: the delivered-only full photo goes, its thumbnail stays; the
    // photo a pending report shares stays, and so does the draft's.
    client
        .store()
        .write(|tx| {
            tx.execute(
                "UPDATE report SET delivered_at = delivered_at - 40 * 86400000 WHERE state = 'delivered'",
                [],
            )?;
            Ok(())
        })
        .expect("age deliveries");
    let summary = client.prune_photos(MONTH).expect("prune");
    assert_eq!(
        (summary.photos_removed, summary.thumbs_removed),
        (1, 0),
        "{summary:?}"
    );
    assert!(!has_photo(&client, &delivered_only) && has_thumb(&client, &delivered_only));
    assert!(has_photo(&client, &shared) && has_photo(&client, &kept.sha256));
    // The reports themselves are untouched.
    assert_eq!(
        client.report(&delivered[1]).expect("report").content.photos[0].sha256,
        delivered_only
    );
    assert_eq!(client.queue().expect("queue").len(), 3);

    // Nothing more to do: a second prune removes nothing.
    assert_eq!(
        client.prune_photos(MONTH).expect("prune"),
        PhotoPruneSummary::default()
    );
}

#[test]
fn adding_a_stored_photo_again_makes_it_fresh_so_a_prune_cannot_race_the_add() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("client");
    let image = textured_grey_jpeg(640, 480, 5);
    let first = client.create_draft(inspector("w0"), None).expect("draft");
    let photo = client
        .add_photo(&first.id, &image, PhotoKind::Evidence)
        .expect("photo");
    client.discard_draft(&first.id).expect("discard");
    age_files(dir.path());
    // The same image again: the file exists and is not rewritten, but it is fresh again, so a
    // prune between this add and the draft's save would not take it.
    let again = client.create_draft(inspector("w0"), None).expect("draft");
    assert_eq!(
        client
            .add_photo(&again.id, &image, PhotoKind::Evidence)
            .expect("photo")
            .sha256,
        photo.sha256
    );
    client.discard_draft(&again.id).expect("discard");
    assert_eq!(
        client.prune_photos(MONTH).expect("prune"),
        PhotoPruneSummary::default()
    );
    assert!(has_photo(&client, &photo.sha256));
    age_files(dir.path());
    assert_eq!(client.prune_photos(MONTH).expect("prune").photos_removed, 1);
}

#[test]
fn a_report_row_that_cannot_be_read_stops_the_prune_before_any_file_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("client");
    let draft = client.create_draft(inspector("w0"), None).expect("draft");
    let orphan = client
        .add_photo(&draft.id, &textured_grey_jpeg(640, 480, 6), PhotoKind::Evidence)
        .expect("photo");
    client.discard_draft(&draft.id).expect("discard");
    let other = client.create_draft(inspector("w0"), None).expect("draft");
    client
        .store()
        .write(|tx| {
            tx.execute("UPDATE report SET body = '{' WHERE id = ?1", [&other.id])?;
            Ok(())
        })
        .expect("corrupt a row");
    age_files(dir.path());
    // Which photos that row needs is unknown: nothing is removed, the orphan included.
    assert!(client.prune_photos(MONTH).is_err());
    assert!(has_photo(&client, &orphan.sha256));
}
