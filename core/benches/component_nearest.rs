//! `ComponentIndex::nearest` against SQLite's R*Tree module + a distance sort, on 50,000
//! components of the Wuzhong sample package.
//!
//! Both sides answer the same 20,000 deterministic queries (near a component or anywhere over
//! the district; street lamps only, the five sampled manhole-cover types, or any type; radius
//! 30–200 m; at most 10 answers) with the same rule: components of the asked types within the
//! radius (haversine), nearest first, ties by id. SQLite gives the envelope candidates (a
//! virtual `rtree` table with the id, type and exact position as auxiliary columns, one prepared
//! statement per type filter, the same envelope as ours) and Rust computes the distances, drops
//! what is beyond the radius and sorts. Rounds alternate which side goes first. Every answer
//! must match; the target is ours ≥ 5× faster.
//!
//! Run: `cargo bench -p gridpatrol-core --bench component_nearest` (release). Prints PASS or
//! FAIL (and exits 1 on FAIL).

use std::hint::black_box;
use std::time::{Duration, Instant};

use gridpatrol_core::component::{
    ComponentIndex, ComponentPackage, NearbyQuery, RawComponent, sample, search_envelope, sort_nearest,
};
use gridpatrol_core::location::{Datum, distance_m};
use gridpatrol_core::taxonomy::EventList;
use rusqlite::{CachedStatement, Connection};

mod common;
use common::median_f64 as median;

const COMPONENTS: usize = 50_000;
const QUERIES: usize = 20_000;
const LIMIT: usize = 10;
const ROUNDS: usize = 7;
const TARGET_RATIO: f64 = 5.0;
const COVERS: [&str; 5] = ["01001", "01002", "01003", "01005", "01007"];

/// Uniform in `lo..hi` from a fixed-seed generator, so every run asks the same queries.
fn range(rng: &mut fastrand::Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.f64()
}

/// Which types a query asks for: 0 lamps, 1 covers, 2 any.
struct Query {
    lat: f64,
    lon: f64,
    filter: usize,
    radius_m: f64,
}

fn queries(index: &ComponentIndex) -> Vec<Query> {
    let mut rng = fastrand::Rng::with_seed(0xC0_4D_0E_57);
    let all = index.components();
    (0..QUERIES)
        .map(|n| {
            let (lat, lon) = if n % 4 == 3 {
                (range(&mut rng, 31.0, 31.35), range(&mut rng, 120.35, 120.75))
            } else {
                let c = &all[rng.usize(..all.len())];
                (
                    c.lat + range(&mut rng, -5e-4, 5e-4),
                    c.lon + range(&mut rng, -5e-4, 5e-4),
                )
            };
            Query {
                lat,
                lon,
                filter: rng.usize(..3),
                radius_m: [30.0, 50.0, 100.0, 200.0][rng.usize(..4)],
            }
        })
        .collect()
}

type Answer = Vec<(String, f64)>;

fn run_ours(
    index: &ComponentIndex,
    filters: &[Vec<String>; 3],
    qs: &[Query],
    out: &mut Vec<Answer>,
) -> Duration {
    out.clear();
    let t = Instant::now();
    for q in qs {
        let found = index.nearest(&NearbyQuery {
            lat: black_box(q.lat),
            lon: black_box(q.lon),
            types: &filters[q.filter],
            radius_m: q.radius_m,
            limit: LIMIT,
        });
        out.push(black_box(
            found
                .iter()
                .map(|n| (n.component.id.clone(), n.distance_m))
                .collect(),
        ));
    }
    t.elapsed()
}

fn sqlite_nearest(stmt: &mut CachedStatement<'_>, q: &Query) -> Answer {
    let envelope = search_envelope(q.lat, q.lon, q.radius_m);
    let (lo, hi) = (envelope.lower(), envelope.upper());
    let mut rows = stmt
        .query([hi[0], lo[0], hi[1], lo[1]])
        .expect("the R*Tree query runs");
    let mut found: Answer = Vec::new();
    while let Some(row) = rows.next().expect("the R*Tree query steps") {
        let (lat, lon): (f64, f64) = (row.get(1).expect("lat"), row.get(2).expect("lon"));
        let d = distance_m(q.lat, q.lon, lat, lon);
        if d <= q.radius_m {
            found.push((row.get(0).expect("id"), d));
        }
    }
    sort_nearest(&mut found, |(id, d)| (*d, id.as_str()));
    found.truncate(LIMIT);
    found
}

fn run_sqlite(stmts: &mut [CachedStatement<'_>], qs: &[Query], out: &mut Vec<Answer>) -> Duration {
    out.clear();
    let t = Instant::now();
    for q in qs {
        out.push(black_box(sqlite_nearest(&mut stmts[q.filter], black_box(q))));
    }
    t.elapsed()
}

fn main() {
    let list = EventList::bundled();
    let t = Instant::now();
    let raw = sample::sample_components();
    let n = raw.len();
    // Exactly 50,000, spread evenly over the whole sample (every grid keeps most of its own).
    let raw: Vec<RawComponent> = raw
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i * COMPONENTS / n != (i + 1) * COMPONENTS / n)
        .map(|(_, c)| c)
        .collect();
    assert_eq!(raw.len(), COMPONENTS);
    let package = ComponentPackage::from_raw(raw, sample::VERSION.into(), Datum::Wgs84, &list, None)
        .expect("the sample is valid");
    let index = ComponentIndex::new(package);
    println!(
        "{} components of {n} in the Wuzhong sample, validated + indexed in {:.1} ms",
        index.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

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
    conn.execute_batch(
        "CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy, +cid TEXT, +type TEXT, +lat REAL, +lon REAL);",
    )
    .expect("the bundled SQLite has the R*Tree module");
    {
        let tx = conn.unchecked_transaction().expect("transaction");
        let mut insert = tx
            .prepare("INSERT INTO r VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?5, ?3, ?2)")
            .expect("insert statement");
        for (i, c) in index.components().iter().enumerate() {
            insert
                .execute(rusqlite::params![i as i64, c.lon, c.lat, c.id, c.type_code])
                .expect("insert component");
        }
        drop(insert);
        tx.commit().expect("commit");
    }
    let base = "SELECT cid, lat, lon FROM r WHERE minx<=?1 AND maxx>=?2 AND miny<=?3 AND maxy>=?4";
    let covers = COVERS.map(|c| format!("'{c}'")).join(",");
    let mut stmts = vec![
        conn.prepare_cached(&format!("{base} AND type = '01037'"))
            .expect("lamps"),
        conn.prepare_cached(&format!("{base} AND type IN ({covers})"))
            .expect("covers"),
        conn.prepare_cached(base).expect("any"),
    ];
    let filters = [
        vec!["01037".to_string()],
        COVERS.iter().map(|c| c.to_string()).collect(),
        Vec::new(),
    ];

    let qs = queries(&index);
    let (mut ours_ns, mut sqlite_ns) = (Vec::new(), Vec::new());
    let mut mismatches = 0usize;
    let (mut ours_out, mut sqlite_out) = (Vec::with_capacity(QUERIES), Vec::with_capacity(QUERIES));
    let per_query = |d: Duration| d.as_nanos() as f64 / QUERIES as f64;
    for round in 0..ROUNDS {
        let (o, s) = if round % 2 == 0 {
            let o = run_ours(&index, &filters, &qs, &mut ours_out);
            (o, run_sqlite(&mut stmts, &qs, &mut sqlite_out))
        } else {
            let s = run_sqlite(&mut stmts, &qs, &mut sqlite_out);
            (run_ours(&index, &filters, &qs, &mut ours_out), s)
        };
        ours_ns.push(per_query(o));
        sqlite_ns.push(per_query(s));
        mismatches += ours_out.iter().zip(&sqlite_out).filter(|(a, b)| a != b).count();
    }
    let answered = ours_out.iter().filter(|a| !a.is_empty()).count();
    let hits: usize = ours_out.iter().map(Vec::len).sum();

    let (ours, theirs) = (median(ours_ns), median(sqlite_ns));
    let ratio = theirs / ours;
    println!(
        "{QUERIES} queries x {ROUNDS} rounds: {answered} with an answer, {hits} components returned, {mismatches} mismatches"
    );
    println!("nearest (rstar R-tree):           {ours:9.1} ns/query (median of rounds)");
    println!("SQLite R*Tree + distance sort:    {theirs:9.1} ns/query (median of rounds)");
    println!("ratio: {ratio:.1}x (target >= {TARGET_RATIO}x)");
    let pass = mismatches == 0 && ratio >= TARGET_RATIO && rtree_enabled;
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
