//! The recorder: batches, the filter, segments and gaps, bad input, relaunch, the client.

use super::*;

#[test]
fn kept_fixes_are_committed_in_batches_of_ten() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut durable = Vec::new();
    for fix in walk(0.0, 1, 25, 1.4) {
        durable.push(rig.feed(&p.id, fix).durable_points);
    }
    assert_eq!(durable[8], 0, "nine waiting fixes are not committed yet");
    assert_eq!(durable[9], 10, "the tenth commits the batch");
    assert_eq!(durable[24], 20);
    assert_eq!(rig.stored_points(&p.id), 20);
    rig.rec.flush(&rig.store).expect("flush");
    assert_eq!(rig.stored_points(&p.id), 25);
}

#[test]
fn thirty_seconds_of_fix_time_commit_a_batch_before_ten_fixes() {
    let rig = Rig::new();
    let p = rig
        .rec
        .start(&rig.store, start(&[], TravelMode::Walking, 10_000), T0)
        .expect("start");
    let outcomes: Vec<u64> = (1..=4)
        .map(|k| {
            rig.feed(&p.id, fix_at(k as f64 * 14.0, 0.0, k * 10_000, 5.0))
                .durable_points
        })
        .collect();
    assert_eq!(
        outcomes,
        [0, 0, 0, 4],
        "the fourth fix makes the waiting ones span 30 s"
    );
}

#[test]
fn each_refusal_is_counted_by_reason_and_mock_fixes_are_kept_flagged() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let verdict = |fix| rig.feed(&p.id, fix).verdict;
    assert_eq!(verdict(fix_at(0.0, 0.0, 1000, 5.0)), FixVerdict::Kept);
    assert_eq!(verdict(fix_at(1.0, 0.0, 1000, 5.0)), FixVerdict::Duplicate);
    assert_eq!(verdict(fix_at(1.0, 0.0, 500, 5.0)), FixVerdict::OutOfOrder);
    assert_eq!(verdict(fix_at(2.0, 0.0, 2000, 80.0)), FixVerdict::Accuracy);
    assert_eq!(
        verdict(fix_at(500.0, 0.0, 3000, 5.0)),
        FixVerdict::Jump,
        "250 m/s"
    );
    let mut mock = fix_at(3.0, 0.0, 4000, 5.0);
    mock.is_mock = true;
    assert_eq!(verdict(mock), FixVerdict::KeptMock);
    rig.rec.pause(&rig.store, &p.id, T0 + 4500).expect("pause");
    assert_eq!(verdict(fix_at(4.0, 0.0, 5000, 5.0)), FixVerdict::WhilePaused);
    let counts = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    let expected = FilterCounts {
        kept: 2,
        mock: 1,
        accuracy: 1,
        jump: 1,
        duplicate: 1,
        out_of_order: 1,
        while_paused: 1,
    };
    assert_eq!(counts, expected);
    let (_, points) = rig
        .rec
        .patrol_with_points(&rig.store, Some(&p.id))
        .expect("points");
    assert_eq!(
        points.iter().map(|p| p.is_mock).collect::<Vec<_>>(),
        [false, true]
    );
    // The counts were committed with the pause, and survive a relaunch.
    let rig = rig.relaunch();
    let counts_after = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    assert_eq!(
        counts_after.while_paused, 0,
        "counted after the last commit, so not durable"
    );
    assert_eq!(
        FilterCounts {
            while_paused: 0,
            ..expected
        },
        counts_after
    );
}

#[test]
fn three_jumps_in_a_row_start_a_new_segment_instead_of_locking_out() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    rig.feed(&p.id, fix_at(0.0, 0.0, 1000, 5.0));
    let verdicts: Vec<FixVerdict> = (2..=4)
        .map(|k| {
            rig.feed(&p.id, fix_at(2000.0 + k as f64, 0.0, k * 1000, 5.0))
                .verdict
        })
        .collect();
    assert_eq!(verdicts, [FixVerdict::Jump, FixVerdict::Jump, FixVerdict::Kept]);
    assert_eq!(
        rig.feed(&p.id, fix_at(2006.0, 0.0, 5000, 5.0)).verdict,
        FixVerdict::Kept
    );
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    let starts: Vec<_> = points.iter().map(|p| (p.segment, p.starts)).collect();
    assert_eq!(
        starts,
        [
            (0, SegmentStart::First),
            (1, SegmentStart::Jump),
            (1, SegmentStart::Continues)
        ]
    );
}

#[test]
fn a_silence_over_three_intervals_is_a_gap_never_bridged() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    // 100 s east at 1.4 m/s, 120 s of silence, then 100 s more, 400 m further east.
    let mut fixes = walk(0.0, 1, 100, 1.4);
    fixes.extend(walk(540.0, 221, 100, 1.4));
    for fix in fixes {
        rig.feed(&p.id, fix);
    }
    let stopped = rig.rec.stop(&rig.store, &p.id, T0 + 330_000).expect("stop");
    let (_, points) = rig
        .rec
        .patrol_with_points(&rig.store, Some(&p.id))
        .expect("points");
    let f = crate::track::figures::compute(&stopped, &points, None, T0 + 400_000, &FigureConfig::default());
    assert_eq!(f.segments, 2);
    let gaps: Vec<(i64, i64)> = f.gaps.iter().map(|g| (g.start_ms - T0, g.end_ms - T0)).collect();
    assert_eq!(
        gaps,
        [(100_000, 221_000), (320_000, 330_000)],
        "the silence and the tail before stop"
    );
    assert!((f.gap_s - 131.0).abs() < 1e-9);
    // 2 × 99 s × 1.4 m/s walked; the 400 m jump across the gap is not in it.
    let walked = 2.0 * 99.0 * 1.4;
    assert!(
        (f.distance_m - walked).abs() < walked * 0.01,
        "distance {}",
        f.distance_m
    );
    // A gap of exactly 3 intervals is not a gap.
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    rig.feed(&p.id, fix_at(0.0, 0.0, 1000, 5.0));
    rig.feed(&p.id, fix_at(4.0, 0.0, 4000, 5.0));
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    assert_eq!(points[1].starts, SegmentStart::Continues);
}

#[test]
fn bad_input_is_refused_with_a_stable_code_and_changes_nothing() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    for fix in walk(0.0, 1, 15, 1.4) {
        rig.feed(&p.id, fix);
    }
    let before = rig.snapshot();
    let counts_before = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    let now = T0 + 20_000;
    let good = fix_at(30.0, 0.0, 16_000, 5.0);
    let cases: Vec<(LocationFix, &str)> = vec![
        (
            LocationFix {
                lat: f64::NAN,
                ..good
            },
            "fix_not_finite",
        ),
        (
            LocationFix {
                lon: f64::INFINITY,
                ..good
            },
            "fix_not_finite",
        ),
        (LocationFix { lat: 91.0, ..good }, "fix_out_of_range"),
        (LocationFix { lon: -180.5, ..good }, "fix_out_of_range"),
        (
            LocationFix {
                accuracy_m: -1.0,
                ..good
            },
            "fix_bad_accuracy",
        ),
        (
            LocationFix {
                accuracy_m: f64::NAN,
                ..good
            },
            "fix_bad_accuracy",
        ),
        (
            LocationFix {
                fix_time_ms: now + 6 * 60_000,
                ..good
            },
            "fix_in_future",
        ),
        (
            LocationFix {
                fix_time_ms: T0 - 1,
                ..good
            },
            "fix_before_start",
        ),
    ];
    let code = |r: crate::Result<_>| match r {
        Err(crate::Error::Track(e)) => e.code(),
        other => panic!("expected a track error, got {other:?}"),
    };
    for (fix, expected) in &cases {
        assert_eq!(
            code(rig.rec.ingest(&rig.store, &p.id, fix, now).map(|_| ())),
            *expected
        );
        // In a batch, one bad fix refuses the good ones with it.
        let batch = [good, *fix];
        assert_eq!(
            code(rig.rec.ingest_batch(&rig.store, &p.id, &batch, now).map(|_| ())),
            *expected
        );
    }
    let many = vec![good; TrackConfig::default().max_batch + 1];
    assert_eq!(
        code(rig.rec.ingest_batch(&rig.store, &p.id, &many, now).map(|_| ())),
        "batch_too_large"
    );
    assert_eq!(
        code(rig.rec.ingest(&rig.store, "no-such", &good, now).map(|_| ())),
        "patrol_unknown"
    );
    assert_eq!(
        code(
            rig.rec
                .start(&rig.store, start(&[], TravelMode::Walking, 1000), now)
                .map(|_| ())
        ),
        "patrol_still_open"
    );
    assert_eq!(
        code(rig.rec.resume(&rig.store, &p.id, now).map(|_| ())),
        "patrol_already_in_state"
    );
    assert_eq!(
        code(
            rig.rec
                .start(&rig.store, start(&[], TravelMode::Walking, 5), now)
                .map(|_| ())
        ),
        "patrol_invalid_start"
    );
    assert_eq!(rig.snapshot(), before, "nothing stored changed");
    let counts = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    assert_eq!(
        counts, counts_before,
        "no refusal was counted as a filter verdict"
    );

    let stopped = rig.rec.stop(&rig.store, &p.id, now).expect("stop");
    assert_eq!(stopped.counts.kept, 15);
    let after_stop = rig.snapshot();
    assert_eq!(
        code(rig.rec.ingest(&rig.store, &p.id, &good, now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(
        code(rig.rec.ingest_batch(&rig.store, &p.id, &[good], now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(
        code(rig.rec.pause(&rig.store, &p.id, now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(rig.snapshot(), after_stop);
}

#[test]
fn an_open_patrol_survives_relaunch_and_continues_from_its_last_committed_point() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    for fix in walk(0.0, 1, 14, 1.4) {
        rig.feed(&p.id, fix);
    }
    // Killed without flush: the 4 waiting fixes are lost, the 10 committed ones are not.
    let rig = rig.killed_and_relaunched();
    let open = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("still open");
    assert_eq!(
        (open.id.as_str(), open.state, open.counts.kept),
        (p.id.as_str(), PatrolState::Active, 10)
    );
    // Time runs on from the last committed point: fix 11 (1 s after point 10) is accepted.
    let next = rig.feed(&p.id, fix_at(14.0, 0.0, 11_000, 5.0));
    assert_eq!((next.verdict, next.seq), (FixVerdict::Kept, Some(10)));
    rig.rec.pause(&rig.store, &p.id, T0 + 12_000).expect("pause");
    let rig = rig.relaunch();
    let open = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("still open");
    assert_eq!(open.state, PatrolState::Paused);
    rig.rec.resume(&rig.store, &p.id, T0 + 60_000).expect("resume");
    let rig = rig.relaunch();
    rig.feed(&p.id, fix_at(20.0, 0.0, 61_000, 5.0));
    rig.rec.stop(&rig.store, &p.id, T0 + 62_000).expect("stop");
    let (stopped, points) = rig.rec.patrol_with_points(&rig.store, None).expect("latest");
    assert_eq!(stopped.state, PatrolState::Stopped);
    assert_eq!(
        points.last().map(|p| p.starts),
        Some(SegmentStart::Pause),
        "resume survived relaunch"
    );
    assert!(rig.rec.open_patrol(&rig.store).expect("open").is_none());
    rig.rec
        .start(&rig.store, start(&[], TravelMode::Walking, 1000), T0 + 70_000)
        .expect("a new one");
}

#[test]
fn a_late_batch_is_sorted_filtered_and_committed_at_once() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut batch = walk(0.0, 1, 30, 1.4);
    batch.reverse();
    batch.push(batch[3]);
    let out = rig
        .rec
        .ingest_batch(&rig.store, &p.id, &batch, T0 + 120_000)
        .expect("batch");
    assert_eq!(
        (out.counts.kept, out.counts.duplicate, out.durable_points),
        (30, 1, 30)
    );
    assert_eq!(rig.stored_points(&p.id), 30);
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    assert!(points.windows(2).all(|w| w[0].time_ms < w[1].time_ms));
}

#[test]
fn the_client_records_a_patrol_and_closing_it_loses_no_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::Client::open(dir.path()).expect("open");
    let p = client
        .patrol_start(start(&[], TravelMode::Walking, 1000))
        .expect("start");
    walk_on_client(&client, &p, 13);
    drop(client);
    let client = crate::Client::open(dir.path()).expect("reopen");
    let open = client.open_patrol().expect("open patrol").expect("still open");
    assert_eq!(
        open.counts.kept, 13,
        "the 3 waiting fixes were committed on close"
    );
    let figures = client.patrol_figures(None).expect("figures");
    assert_eq!(figures.points, 13);
    assert!(
        (figures.distance_m - 12.0 * 1.4).abs() < 0.5,
        "{}",
        figures.distance_m
    );
    client.patrol_stop(&p.id).expect("stop");
    assert_eq!(
        client.patrol_track(Some(p.id.clone()), 5.0).expect("track").len(),
        2
    );
}

/// `fixes` kept fixes 1 s and 1.4 m apart, from the patrol's start, fed through the client.
fn walk_on_client(client: &crate::Client, p: &super::Patrol, fixes: i64) {
    for k in 1..=fixes {
        let mut f = fix_at(1.4 * k as f64, 0.0, 0, 5.0);
        f.fix_time_ms = p.started_at_ms + k * 1000;
        client.patrol_fix(&p.id, f).expect("fix");
    }
}

/// Ten committed fixes, then `refused` fixes over the accuracy limit after the last kept one.
fn kept_then_refused(rig: &Rig, patrol_id: &str, refused: i64) {
    for fix in walk(0.0, 1, 10, 1.4) {
        rig.feed(patrol_id, fix);
    }
    assert_eq!(rig.stored_points(patrol_id), 10, "the kept batch is committed");
    for k in 0..refused {
        let outcome = rig.feed(patrol_id, fix_at(20.0, 0.0, 11_000 + k * 1000, 80.0));
        assert_eq!(outcome.verdict, FixVerdict::Accuracy);
    }
}

fn stored_counts(rig: &Rig, patrol_id: &str) -> FilterCounts {
    rig.store
        .read(|c| super::db::load_patrol(c, patrol_id))
        .expect("read")
        .expect("stored")
        .patrol
        .counts
}

#[test]
fn refusals_after_the_last_kept_fix_survive_a_flush_and_a_relaunch() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    kept_then_refused(&rig, &p.id, 3);
    rig.rec.flush(&rig.store).expect("flush");
    assert_eq!(
        stored_counts(&rig, &p.id).accuracy,
        3,
        "flushed with no kept fix waiting"
    );
    let rig = rig.killed_and_relaunched();
    let open = rig.rec.open_patrol(&rig.store).expect("open").expect("open");
    assert_eq!((open.counts.kept, open.counts.accuracy), (10, 3));
}

#[test]
fn refusals_alone_are_committed_in_batches_like_kept_fixes() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    kept_then_refused(&rig, &p.id, 10);
    // Killed without flush: ten refusals are a batch, so their count is already committed.
    assert_eq!(stored_counts(&rig, &p.id).accuracy, 10);
    let rig = rig.killed_and_relaunched();
    let open = rig.rec.open_patrol(&rig.store).expect("open").expect("open");
    assert_eq!(open.counts.accuracy, 10);
}

#[test]
fn refusals_after_the_last_kept_fix_survive_stop_and_client_close() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    kept_then_refused(&rig, &p.id, 2);
    rig.rec.stop(&rig.store, &p.id, T0 + 20_000).expect("stop");
    let rig = rig.relaunch();
    assert_eq!(stored_counts(&rig, &p.id).accuracy, 2);

    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::Client::open(dir.path()).expect("open");
    let p = client
        .patrol_start(start(&[], TravelMode::Walking, 1000))
        .expect("start");
    walk_on_client(&client, &p, 10);
    let mut dup = fix_at(14.0, 0.0, 0, 5.0);
    dup.fix_time_ms = p.started_at_ms + 10_000;
    assert_eq!(
        client.patrol_fix(&p.id, dup).expect("fix").verdict,
        FixVerdict::Duplicate
    );
    drop(client);
    let client = crate::Client::open(dir.path()).expect("reopen");
    let open = client.open_patrol().expect("open patrol").expect("still open");
    assert_eq!(
        (open.counts.kept, open.counts.duplicate),
        (10, 1),
        "committed on close"
    );
}
