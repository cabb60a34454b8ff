//! `GridIndex::locate` against SQLite's R*Tree module on the Wuzhong sample package.
//!
//! Both sides answer the same 100,000 deterministic points (inside, outside, on and near edges,
//! on shared vertices) with the same rule: among the basic grids whose closed polygon contains
//! the point, the smallest id wins. SQLite gives the envelope candidates (a virtual `rtree` table,
//! one prepared statement), Rust does the same point-in-polygon test on them and walks the
//! parent chain through a HashMap. Rounds alternate which side goes first. Every answer must
//! match; the target is ours ≥ 5× faster.
//!
//! Run: `cargo bench --bench grid_lookup` (release). Prints PASS or FAIL (and exits 1 on FAIL).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use gridpatrol_core::grid::{Grid, GridIndex, GridPackage, sample};
use rusqlite::{CachedStatement, Connection};

mod common;
use common::median_f64 as median;

const POINTS: usize = 100_000;
const ROUNDS: usize = 7;
const TARGET_RATIO: f64 = 5.0;

/// Uniform in `lo..hi` from a fixed-seed generator, so every run asks the same queries.
fn range(rng: &mut fastrand::Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.f64()
}

/// `(lat, lon)` points: 50 % anywhere over the district and a margin (lake and outside
/// included), 15 % within ~20 cm of a basic grid's edge, 10 % exactly on a shared vertex, 15 %
/// interpolated on an edge, 10 % far outside.
fn query_points(basics: &[&Grid]) -> Vec<(f64, f64)> {
    let mut rng = fastrand::Rng::with_seed(0x5EED_0F61_D5D5);
    let mut points = Vec::with_capacity(POINTS);
    let segment = |rng: &mut fastrand::Rng| {
        let ring = basics[rng.usize(..basics.len())].area.0[0].exterior();
        let k = rng.usize(..ring.0.len() - 1);
        (ring.0[k], ring.0[k + 1])
    };
    for n in 0..POINTS {
        let p = match n % 20 {
            0..10 => (range(&mut rng, 30.98, 31.37), range(&mut rng, 120.33, 120.77)),
            10..13 => {
                let (a, b) = segment(&mut rng);
                let t = rng.f64();
                let (dlat, dlon) = (range(&mut rng, -2e-6, 2e-6), range(&mut rng, -2e-6, 2e-6));
                (a.y + t * (b.y - a.y) + dlat, a.x + t * (b.x - a.x) + dlon)
            }
            13..15 => {
                let (a, _) = segment(&mut rng);
                (a.y, a.x)
            }
            15..18 => {
                let (a, b) = segment(&mut rng);
                let t = rng.f64();
                (a.y + t * (b.y - a.y), a.x + t * (b.x - a.x))
            }
            _ => (range(&mut rng, 30.0, 32.5), range(&mut rng, 119.0, 122.0)),
        };
        points.push(p);
    }
    points
}

/// The SQLite side: envelope candidates from the R*Tree, then the same exact test in Rust
/// ([`GridIndex::basic_slot_contains`], the one `locate` runs) and the parent chain from a
/// HashMap.
struct Sqlite<'a> {
    index: &'a GridIndex,
    by_id: HashMap<&'a str, &'a Grid>,
}

impl<'a> Sqlite<'a> {
    fn locate(&self, stmt: &mut CachedStatement<'_>, lat: f64, lon: f64) -> Option<[&'a str; 3]> {
        let mut rows = stmt.query([lon, lon, lat, lat]).expect("the R*Tree query runs");
        let mut best: Option<&'a Grid> = None;
        while let Some(row) = rows.next().expect("the R*Tree query steps") {
            let slot = usize::try_from(row.get::<_, i64>(0).expect("integer id")).expect("slot");
            let grid = self.index.basic_slot_grid(slot);
            if best.is_none_or(|b| grid.id < b.id) && self.index.basic_slot_contains(slot, lat, lon) {
                best = Some(grid);
            }
        }
        let basic = best?;
        let community = self.by_id[basic.parent_id.as_deref().expect("level 3 has a parent")];
        let town = self.by_id[community.parent_id.as_deref().expect("level 2 has a parent")];
        Some([&town.id, &community.id, &basic.id])
    }
}

fn run_ours<'a>(
    index: &'a GridIndex,
    points: &[(f64, f64)],
    out: &mut Vec<Option<[&'a str; 3]>>,
) -> Duration {
    out.clear();
    let t = Instant::now();
    for &(lat, lon) in points {
        out.push(black_box(
            index.locate(black_box(lat), black_box(lon)).map(|c| c.ids()),
        ));
    }
    t.elapsed()
}

fn run_sqlite<'a>(
    sqlite: &Sqlite<'a>,
    stmt: &mut CachedStatement<'_>,
    points: &[(f64, f64)],
    out: &mut Vec<Option<[&'a str; 3]>>,
) -> Duration {
    out.clear();
    let t = Instant::now();
    for &(lat, lon) in points {
        out.push(black_box(sqlite.locate(stmt, black_box(lat), black_box(lon))));
    }
    t.elapsed()
}

fn ns_per_lookup(d: Duration) -> f64 {
    d.as_nanos() as f64 / POINTS as f64
}

fn main() {
    let t = Instant::now();
    let json = sample::sample_package();
    let generated = t.elapsed();
    let t = Instant::now();
    let package = GridPackage::from_geojson_str(&json).expect("the sample package is valid");
    let loaded = t.elapsed();
    let t = Instant::now();
    let index = GridIndex::new(package);
    let indexed = t.elapsed();
    let [towns, communities, basics_n] = index.counts();
    println!(
        "sample package: {towns} level-1, {communities} level-2, {basics_n} level-3 grids, {:.1} MB GeoJSON",
        json.len() as f64 / 1e6
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "generate {:.1} ms, parse + validate {:.1} ms, index {:.1} ms, total {:.1} ms",
        ms(generated),
        ms(loaded),
        ms(indexed),
        ms(generated + loaded + indexed)
    );

    let basics: Vec<&Grid> = index.basic_grids().collect();
    let points = query_points(&basics);

    let conn = Connection::open_in_memory().expect("in-memory SQLite");
    let rtree_enabled: bool = conn
        .query_row(
            "SELECT count(*) FROM pragma_compile_options WHERE compile_options = 'ENABLE_RTREE'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .expect("compile options are readable")
        == 1;
    let version: String = conn
        .query_row("SELECT sqlite_version()", [], |row| row.get(0))
        .expect("version");
    println!("SQLite {version} (SQLite3 Multiple Ciphers, core/sqlite3mc), ENABLE_RTREE: {rtree_enabled}");
    conn.execute_batch("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy);")
        .expect("the bundled SQLite has the R*Tree module");
    {
        let tx = conn.unchecked_transaction().expect("transaction");
        let mut insert = tx
            .prepare("INSERT INTO r VALUES (?1, ?2, ?3, ?4, ?5)")
            .expect("insert statement");
        for slot in 0..index.basic_slot_count() {
            let bbox = index.basic_slot_grid(slot).bbox;
            let (min, max) = (bbox.min(), bbox.max());
            insert
                .execute(rusqlite::params![slot as i64, min.x, max.x, min.y, max.y])
                .expect("insert envelope");
        }
        drop(insert);
        tx.commit().expect("commit");
    }
    let sqlite = Sqlite {
        index: &index,
        by_id: index.grids().iter().map(|g| (g.id.as_str(), g)).collect(),
    };
    let mut stmt = conn
        .prepare_cached("SELECT id FROM r WHERE minx<=? AND maxx>=? AND miny<=? AND maxy>=?")
        .expect("query statement");

    let mut ours_ns = Vec::new();
    let mut sqlite_ns = Vec::new();
    let mut mismatches = 0usize;
    let mut inside = 0usize;
    let mut ours_out: Vec<Option<[&str; 3]>> = Vec::with_capacity(POINTS);
    let mut sqlite_out: Vec<Option<[&str; 3]>> = Vec::with_capacity(POINTS);
    for round in 0..ROUNDS {
        let (o, s) = if round % 2 == 0 {
            let o = run_ours(&index, &points, &mut ours_out);
            (o, run_sqlite(&sqlite, &mut stmt, &points, &mut sqlite_out))
        } else {
            let s = run_sqlite(&sqlite, &mut stmt, &points, &mut sqlite_out);
            (run_ours(&index, &points, &mut ours_out), s)
        };
        ours_ns.push(ns_per_lookup(o));
        sqlite_ns.push(ns_per_lookup(s));
        mismatches += ours_out.iter().zip(&sqlite_out).filter(|(a, b)| a != b).count();
        inside = ours_out.iter().filter(|a| a.is_some()).count();
    }

    let (ours, theirs) = (median(ours_ns), median(sqlite_ns));
    let ratio = theirs / ours;
    println!(
        "{POINTS} points x {ROUNDS} rounds: {inside} in a grid, {} in none, {mismatches} mismatches",
        POINTS - inside
    );
    println!("locate (rstar R-tree):        {ours:8.1} ns/lookup (median of rounds)");
    println!("SQLite R*Tree + same PIP:     {theirs:8.1} ns/lookup (median of rounds)");
    println!("ratio: {ratio:.1}x (target >= {TARGET_RATIO}x)");
    let pass = mismatches == 0 && ratio >= TARGET_RATIO && rtree_enabled;
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
