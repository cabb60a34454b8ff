use std::sync::OnceLock;

use geo::Centroid;

use super::sample::{self, COLS, ROWS, Sample};
use super::*;

// ---- helpers ----

fn rect_ring(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
}

fn grid(id: &str, level: i64, parent: Option<&str>, ring: Vec<[f64; 2]>) -> RawGrid {
    RawGrid {
        id: id.into(),
        level,
        parent_id: parent.map(Into::into),
        name: format!("{id}网格"),
        polygons: vec![vec![ring]],
    }
}

/// A town T and community C covering 120.0..121.0 × 31.0..32.0, plus the given basic grids
/// (children of C).
fn package_with(basics: Vec<RawGrid>) -> Vec<RawGrid> {
    let mut grids = vec![
        grid("T", 1, None, rect_ring(120.0, 31.0, 121.0, 32.0)),
        grid("T-C", 2, Some("T"), rect_ring(120.0, 31.0, 121.0, 32.0)),
    ];
    grids.extend(basics);
    grids
}

fn basic(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> RawGrid {
    grid(id, 3, Some("T-C"), rect_ring(x0, y0, x1, y1))
}

fn index_of(grids: Vec<RawGrid>) -> GridIndex {
    GridIndex::new(GridPackage::from_raw(grids).expect("test package is valid"))
}

fn rejected(grids: Vec<RawGrid>) -> GridPackageError {
    GridPackage::from_raw(grids).expect_err("package should be rejected")
}

fn located(index: &GridIndex, lat: f64, lon: f64) -> Option<&str> {
    index.locate(lat, lon).map(|c| c.basic.id.as_str())
}

// ---- validation ----

#[test]
fn duplicate_id_is_rejected_naming_the_id() {
    let err = rejected(package_with(vec![
        basic("T-C-1", 120.1, 31.1, 120.2, 31.2),
        basic("T-C-1", 120.2, 31.1, 120.3, 31.2),
    ]));
    assert_eq!(err, GridPackageError::DuplicateId { id: "T-C-1".into() });
    assert_eq!(err.grid_id(), Some("T-C-1"));
    assert!(err.to_string().contains("T-C-1"), "{err}");
}

#[test]
fn dangling_parent_is_rejected_naming_grid_and_field() {
    let mut stray = basic("T-C-9", 120.1, 31.1, 120.2, 31.2);
    stray.parent_id = Some("T-X".into());
    let err = rejected(package_with(vec![stray]));
    assert_eq!(
        err,
        GridPackageError::DanglingParent {
            id: "T-C-9".into(),
            parent_id: "T-X".into()
        }
    );
    let text = err.to_string();
    assert!(text.contains("T-C-9") && text.contains("parent_id") && text.contains("T-X"));
}

#[test]
fn missing_parent_and_parent_level_mismatch_are_rejected() {
    let mut orphan = basic("T-C-1", 120.1, 31.1, 120.2, 31.2);
    orphan.parent_id = None;
    assert_eq!(
        rejected(package_with(vec![orphan])),
        GridPackageError::MissingParent {
            id: "T-C-1".into(),
            level: 3
        }
    );

    let mut skips_a_level = basic("T-C-1", 120.1, 31.1, 120.2, 31.2);
    skips_a_level.parent_id = Some("T".into());
    assert_eq!(
        rejected(package_with(vec![skips_a_level])),
        GridPackageError::ParentLevelMismatch {
            id: "T-C-1".into(),
            level: 3,
            parent_id: "T".into(),
            parent_level: 1
        }
    );

    let mut town_with_parent = package_with(vec![basic("T-C-1", 120.1, 31.1, 120.2, 31.2)]);
    town_with_parent[0].parent_id = Some("X".into());
    assert!(matches!(
        rejected(town_with_parent),
        GridPackageError::UnexpectedParent { id, .. } if id == "T"
    ));
}

#[test]
fn bad_level_is_rejected_naming_the_id() {
    for level in [0, 4, -1] {
        let mut g = basic("T-C-1", 120.1, 31.1, 120.2, 31.2);
        g.level = level;
        assert_eq!(
            rejected(package_with(vec![g])),
            GridPackageError::InvalidLevel {
                id: "T-C-1".into(),
                found: level.to_string()
            }
        );
    }
    // In JSON a level must be the number itself, not a string or a fraction.
    for level in ["\"3\"", "2.5", "null"] {
        let json = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature",
            "properties":{{"id":"G1","level":{level},"parent_id":null,"name":"x"}},
            "geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}}}]}}"#
        );
        let err = GridPackage::from_geojson_str(&json).expect_err("level is invalid");
        assert!(
            matches!(&err, GridPackageError::InvalidLevel { id, found } if id == "G1" && found == level),
            "{err:?}"
        );
    }
}

#[test]
fn nan_coordinate_is_rejected_naming_the_id() {
    let mut ring = rect_ring(120.1, 31.1, 120.2, 31.2);
    ring[2][1] = f64::NAN;
    let err = rejected(package_with(vec![grid("T-C-1", 3, Some("T-C"), ring)]));
    assert_eq!(
        err,
        GridPackageError::NonFiniteCoordinate {
            id: "T-C-1".into(),
            polygon: 0,
            ring: 0,
            position: 2
        }
    );
    assert!(err.to_string().contains("T-C-1") && err.to_string().contains("geometry"));

    let mut ring = rect_ring(120.1, 31.1, 120.2, 31.2);
    ring[1][0] = f64::INFINITY;
    assert!(matches!(
        rejected(package_with(vec![grid("T-C-2", 3, Some("T-C"), ring)])),
        GridPackageError::NonFiniteCoordinate { id, position: 1, .. } if id == "T-C-2"
    ));
}

#[test]
fn out_of_range_coordinate_is_rejected() {
    let ring = rect_ring(120.1, 31.1, 120.2, 91.0);
    assert!(matches!(
        rejected(package_with(vec![grid("T-C-1", 3, Some("T-C"), ring)])),
        GridPackageError::CoordinateOutOfRange { id, position: 2, lat, .. } if id == "T-C-1" && lat == 91.0
    ));
}

#[test]
fn unclosed_ring_is_rejected_naming_the_id() {
    let mut ring = rect_ring(120.1, 31.1, 120.2, 31.2);
    ring.pop();
    let err = rejected(package_with(vec![grid("T-C-1", 3, Some("T-C"), ring)]));
    assert_eq!(
        err,
        GridPackageError::UnclosedRing {
            id: "T-C-1".into(),
            polygon: 0,
            ring: 0
        }
    );
    assert!(err.to_string().contains("T-C-1"));
}

#[test]
fn degenerate_rings_and_empty_names_are_rejected() {
    let too_short = vec![[120.1, 31.1], [120.2, 31.1], [120.1, 31.1]];
    let flat = vec![[120.1, 31.1], [120.2, 31.1], [120.3, 31.1], [120.1, 31.1]];
    for ring in [too_short, flat] {
        assert!(matches!(
            rejected(package_with(vec![grid("T-C-1", 3, Some("T-C"), ring)])),
            GridPackageError::DegenerateRing { id, .. } if id == "T-C-1"
        ));
    }
    let mut nameless = basic("T-C-1", 120.1, 31.1, 120.2, 31.2);
    nameless.name = "  ".into();
    assert_eq!(
        rejected(package_with(vec![nameless])),
        GridPackageError::EmptyName { id: "T-C-1".into() }
    );
    assert_eq!(rejected(package_with(vec![])), GridPackageError::NoBasicGrids);
}

#[test]
fn geojson_problems_name_the_grid() {
    assert!(matches!(
        GridPackage::from_geojson_str("[1, 2]"),
        Err(GridPackageError::NotGeoJson(_))
    ));
    let point = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
        "properties":{"id":"G1","level":1,"name":"x"},
        "geometry":{"type":"Point","coordinates":[120.5,31.2]}}]}"#;
    assert!(matches!(
        GridPackage::from_geojson_str(point),
        Err(GridPackageError::InvalidGeometry { id, .. }) if id == "G1"
    ));
    let no_id = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
        "properties":{"level":1,"name":"x"},"geometry":null}]}"#;
    assert_eq!(
        GridPackage::from_geojson_str(no_id).expect_err("no id"),
        GridPackageError::MissingId { index: 0 }
    );
}

#[test]
fn geojson_with_holes_multipolygons_and_altitudes_loads() {
    let json = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"T","level":1,"parent_id":null,"name":"横泾街道"},
       "geometry":{"type":"Polygon","coordinates":[[[120,31],[121,31],[121,32],[120,32],[120,31]]]}},
      {"type":"Feature","properties":{"id":"T-C","level":2,"parent_id":"T","name":"新路村"},
       "geometry":{"type":"Polygon","coordinates":[[[120,31],[121,31],[121,32],[120,32],[120,31]]]}},
      {"type":"Feature","properties":{"id":"T-C-1","level":3,"parent_id":"T-C","name":"新路村第1网格"},
       "geometry":{"type":"MultiPolygon","coordinates":[
         [[[120.0,31.0,5.0],[120.4,31.0,5.0],[120.4,31.4,5.0],[120.0,31.4,5.0],[120.0,31.0,5.0]],
          [[120.1,31.1],[120.1,31.2],[120.2,31.2],[120.2,31.1],[120.1,31.1]]],
         [[[120.6,31.6],[120.8,31.6],[120.8,31.8],[120.6,31.6]]]]}}]}"#;
    let index = GridIndex::from_geojson_str(json).expect("valid package");
    assert_eq!(index.counts(), [1, 1, 1]);
    assert_eq!(located(&index, 31.3, 120.3), Some("T-C-1"));
    assert_eq!(located(&index, 31.15, 120.15), None, "in the hole");
    assert_eq!(located(&index, 31.65, 120.7), Some("T-C-1"), "second part");
    assert_eq!(index.grid("T-C-1").expect("present").name, "新路村第1网格");
}

// ---- locate ----

#[test]
fn locate_inside_outside_and_hole() {
    let mut holed = basic("T-C-1", 120.1, 31.1, 120.3, 31.3);
    holed.polygons[0].push(rect_ring(120.15, 31.15, 120.25, 31.25));
    let index = index_of(package_with(vec![
        holed,
        basic("T-C-2", 120.3, 31.1, 120.5, 31.3),
    ]));

    assert_eq!(located(&index, 31.12, 120.12), Some("T-C-1"));
    assert_eq!(located(&index, 31.2, 120.4), Some("T-C-2"));
    assert_eq!(located(&index, 31.2, 120.2), None, "inside the hole");
    assert_eq!(located(&index, 31.2, 120.15), Some("T-C-1"), "on the hole's edge");
    assert_eq!(located(&index, 31.5, 120.2), None, "north of every grid");
    assert_eq!(located(&index, 31.2, 120.05), None, "west of every grid");
    assert_eq!(located(&index, f64::NAN, 120.2), None);
    assert_eq!(located(&index, 31.2, f64::INFINITY), None);
    // lat/lon order: swapping them lands nowhere.
    assert_eq!(located(&index, 120.12, 31.12), None);
}

#[test]
fn shared_edge_goes_to_the_smallest_id_whatever_the_order() {
    // Two squares sharing the edge lon = 120.2, 31.1..31.2. Try both id assignments and both
    // input orders: the point on the edge always goes to the smaller id.
    for (west, east) in [("T-C-1", "T-C-2"), ("T-C-2", "T-C-1")] {
        for reverse in [false, true] {
            let mut basics = vec![
                basic(west, 120.1, 31.1, 120.2, 31.2),
                basic(east, 120.2, 31.1, 120.3, 31.2),
            ];
            if reverse {
                basics.reverse();
            }
            let index = index_of(package_with(basics));
            // Middle of the shared edge (not a vertex of either polygon), and its end points.
            assert_eq!(located(&index, 31.15, 120.2), Some("T-C-1"));
            assert_eq!(located(&index, 31.1, 120.2), Some("T-C-1"));
            assert_eq!(located(&index, 31.2, 120.2), Some("T-C-1"));
            // Just off the edge each side goes to its own grid.
            assert_eq!(located(&index, 31.15, 120.2 - 1e-9), Some(west));
            assert_eq!(located(&index, 31.15, 120.2 + 1e-9), Some(east));
            for _ in 0..3 {
                assert_eq!(located(&index, 31.15, 120.2), Some("T-C-1"), "stable");
            }
        }
    }
}

#[test]
fn shared_slanted_edge_agrees_on_both_sides() {
    // A slanted shared edge whose points are not exactly representable: each point near it must
    // go to exactly one of the two grids, and an exact vertex to the smaller id.
    let a = grid(
        "T-C-2",
        3,
        Some("T-C"),
        vec![
            [120.1, 31.1],
            [120.23, 31.1],
            [120.17, 31.3],
            [120.1, 31.3],
            [120.1, 31.1],
        ],
    );
    let b = grid(
        "T-C-1",
        3,
        Some("T-C"),
        vec![
            [120.23, 31.1],
            [120.3, 31.1],
            [120.3, 31.3],
            [120.17, 31.3],
            [120.23, 31.1],
        ],
    );
    let index = index_of(package_with(vec![a, b]));
    for k in 0..=1000 {
        let t = f64::from(k) / 1000.0;
        let (lon, lat) = (120.23 + t * (120.17 - 120.23), 31.1 + t * 0.2);
        let in_1 = index.contains("T-C-1", lat, lon) == Some(true);
        let in_2 = index.contains("T-C-2", lat, lon) == Some(true);
        let expected = match (in_1, in_2) {
            (true, _) => "T-C-1",
            (false, true) => "T-C-2",
            (false, false) => panic!("point {k} on the edge is in neither grid"),
        };
        assert_eq!(located(&index, lat, lon), Some(expected));
    }
    assert_eq!(located(&index, 31.3, 120.17), Some("T-C-1"));
    assert_eq!(located(&index, 31.1, 120.23), Some("T-C-1"));
}

#[test]
fn shared_vertex_goes_to_the_smallest_id() {
    // Four squares meeting at (120.2, 31.2); the smallest id is placed in a different quadrant
    // each time.
    let quadrants = [
        (120.1, 31.1, 120.2, 31.2),
        (120.2, 31.1, 120.3, 31.2),
        (120.2, 31.2, 120.3, 31.3),
        (120.1, 31.2, 120.2, 31.3),
    ];
    for rotation in 0..4 {
        let ids = ["T-C-4", "T-C-7", "T-C-3", "T-C-9"];
        let basics = quadrants
            .iter()
            .enumerate()
            .map(|(q, &(x0, y0, x1, y1))| basic(ids[(q + rotation) % 4], x0, y0, x1, y1))
            .collect();
        let index = index_of(package_with(basics));
        assert_eq!(located(&index, 31.2, 120.2), Some("T-C-3"), "rotation {rotation}");
        for &(x0, y0, x1, y1) in &quadrants {
            let owner = located(&index, (y0 + y1) / 2.0, (x0 + x1) / 2.0).expect("inside");
            assert!(index.contains(owner, 31.2, 120.2).expect("known grid"));
        }
    }
}

#[test]
fn chain_runs_from_level_1_to_level_3() {
    let index = index_of(package_with(vec![basic("T-C-1", 120.1, 31.1, 120.2, 31.2)]));
    let chain = index.locate(31.15, 120.15).expect("inside");
    assert_eq!(chain.ids(), ["T", "T-C", "T-C-1"]);
    assert_eq!(
        chain.levels().map(|g| g.level),
        [GridLevel::Town, GridLevel::Community, GridLevel::Basic]
    );
    assert_eq!(chain.levels().map(|g| g.level.number()), [1, 2, 3]);
    assert_eq!(chain.town.name, "T网格");
    assert_eq!(chain.basic.parent_id.as_deref(), Some("T-C"));
    assert_eq!(index.chain("T-C-1"), Some(chain));
    assert_eq!(index.chain("T-C"), None, "not a basic grid");
}

#[test]
fn contains_works_at_every_level() {
    let index = index_of(package_with(vec![basic("T-C-1", 120.1, 31.1, 120.2, 31.2)]));
    assert_eq!(index.contains("T", 31.5, 120.5), Some(true));
    assert_eq!(index.contains("T-C", 31.5, 120.5), Some(true));
    assert_eq!(index.contains("T-C-1", 31.5, 120.5), Some(false));
    assert_eq!(index.contains("T-C-1", 31.2, 120.2), Some(true), "corner");
    assert_eq!(index.contains("nope", 31.5, 120.5), None);
    assert_eq!(index.contains("T", f64::NAN, 120.5), None);
}

// ---- distances ----

/// Degrees of longitude for `m` metres along the parallel at `lat` (haversine sphere).
fn east_deg(m: f64, lat: f64) -> f64 {
    (m / (6_371_008.8 * lat.to_radians().cos())).to_degrees()
}

#[test]
fn distance_to_grid_is_about_300_m_for_a_point_300_m_east() {
    // A ~950 m square grid.
    let index = index_of(package_with(vec![basic("T-C-1", 120.50, 31.20, 120.51, 31.21)]));
    let lat = 31.205;
    let d = index
        .distance_to_grid_m("T-C-1", lat, 120.51 + east_deg(300.0, lat))
        .expect("known grid");
    assert!((d - 300.0).abs() <= 5.0, "{d} m");
    assert_eq!(index.distance_to_grid_m("T-C-1", lat, 120.505), Some(0.0));
    assert_eq!(
        index.distance_to_grid_m("T-C-1", 31.21, 120.505),
        Some(0.0),
        "edge"
    );
    // ~1.11 km north of the north edge (0.01 degree of latitude).
    let north = index
        .distance_to_grid_m("T-C-1", 31.22, 120.505)
        .expect("known grid");
    assert!((north - 1_111.95).abs() < 2.0, "{north} m");
    // Diagonal from the north-east corner: 300 m east and 400 m north make 500 m.
    let diag = index
        .distance_to_grid_m(
            "T-C-1",
            31.21 + 400.0 / 111_195.0,
            120.51 + east_deg(300.0, 31.21),
        )
        .expect("known grid");
    assert!((diag - 500.0).abs() <= 5.0, "{diag} m");
    assert_eq!(index.distance_to_grid_m("nope", lat, 120.5), None);
}

#[test]
fn distance_from_inside_a_hole_is_to_the_hole_edge() {
    let mut holed = basic("T-C-1", 120.4, 31.1, 120.6, 31.3);
    holed.polygons[0].push(rect_ring(120.49, 31.19, 120.51, 31.21));
    let index = index_of(package_with(vec![holed]));
    // Centre of the hole: 0.01 degree of latitude (~1.1 km) from its north and south edges, a
    // little less from its east and west edges (longitude degrees are shorter).
    let d = index
        .distance_to_grid_m("T-C-1", 31.2, 120.5)
        .expect("known grid");
    let expected = 6_371_008.8 * 0.01f64.to_radians() * 31.2f64.to_radians().cos();
    assert!((d - expected).abs() < 2.0, "{d} vs {expected}");
}

// ---- the sample package ----

fn sample() -> &'static (Sample, GridIndex) {
    static SAMPLE: OnceLock<(Sample, GridIndex)> = OnceLock::new();
    SAMPLE.get_or_init(|| (Sample::generate(), sample::sample_index()))
}

#[test]
fn sample_package_is_byte_identical_on_two_runs() {
    let a = sample::sample_package();
    let b = sample::sample_package();
    assert!(a == b, "two runs differ");
    assert!(a.len() > 1_000_000);
}

#[test]
fn sample_package_counts_are_in_range() {
    let (_, index) = sample();
    let [towns, communities, basics] = index.counts();
    assert!((14..=16).contains(&towns), "{towns} towns");
    assert!((150..=250).contains(&communities), "{communities} communities");
    assert!((10_500..=11_500).contains(&basics), "{basics} basic grids");
    let names: Vec<&str> = index
        .grids()
        .iter()
        .filter(|g| g.level == GridLevel::Town)
        .map(|g| g.name.as_str())
        .collect();
    for expected in ["木渎镇", "甪直镇", "东山镇", "长桥街道", "太湖街道"] {
        assert!(names.contains(&expected), "{expected} missing");
    }
    let g = index
        .grid("320506-01-001-0001")
        .expect("first basic grid of 木渎镇");
    assert!(
        g.name
            .starts_with(&index.grid("320506-01-001").expect("its community").name)
    );
    assert!(g.name.ends_with("第1网格"), "{}", g.name);
}

#[test]
fn sample_every_cell_is_in_exactly_one_chain() {
    let (sample, index) = sample();
    let cells: Vec<&str> = sample.cell_ids.iter().flatten().map(String::as_str).collect();
    assert_eq!(cells.len(), index.counts()[2], "one basic grid per land cell");
    let unique: std::collections::HashSet<&str> = cells.iter().copied().collect();
    assert_eq!(unique.len(), cells.len());

    let upper: Vec<&Grid> = index
        .grids()
        .iter()
        .filter(|g| g.level != GridLevel::Basic)
        .collect();
    for id in cells {
        let chain = index.chain(id).expect("every cell has a chain");
        let c = chain.basic.area.centroid().expect("a cell has a centroid").0;
        // The centroid is in its own community and town and in no other one.
        let holders: Vec<&str> = upper
            .iter()
            .filter(|g| {
                g.bbox.min().x <= c.x
                    && c.x <= g.bbox.max().x
                    && g.bbox.min().y <= c.y
                    && c.y <= g.bbox.max().y
                    && closed_contains(&g.area, c)
            })
            .map(|g| g.id.as_str())
            .collect();
        assert_eq!(
            holders,
            [chain.town.id.as_str(), chain.community.id.as_str()],
            "{id}"
        );
        assert!(id.starts_with(&chain.community.id) && chain.community.id.starts_with(&chain.town.id));
    }
}

#[test]
fn sample_every_basic_centroid_locates_to_itself() {
    let (_, index) = sample();
    for g in index.basic_grids() {
        let c = g.area.centroid().expect("a cell has a centroid");
        assert_eq!(located(index, c.y(), c.x()), Some(g.id.as_str()));
    }
}

#[test]
fn sample_lattice_vertices_go_to_the_smallest_touching_id() {
    let (sample, index) = sample();
    let mut checked = 0;
    for j in 0..=ROWS {
        for i in 0..=COLS {
            let touching: Vec<&str> = [
                (i.wrapping_sub(1), j.wrapping_sub(1)),
                (i, j.wrapping_sub(1)),
                (i.wrapping_sub(1), j),
                (i, j),
            ]
            .into_iter()
            .filter(|&(ci, cj)| ci < COLS && cj < ROWS)
            .filter_map(|(ci, cj)| sample.cell_ids[cj * COLS + ci].as_deref())
            .collect();
            let [lon, lat] = sample.vertex(i, j);
            assert_eq!(
                located(index, lat, lon),
                touching.iter().min().copied(),
                "vertex ({i}, {j})"
            );
            checked += usize::from(touching.len() == 4);
        }
    }
    assert!(checked > 10_000);
}

#[test]
fn sample_outside_points_are_in_no_grid() {
    let (_, index) = sample();
    assert!(index.locate(31.05, 120.40).is_none(), "Taihu, south-west corner");
    assert!(index.locate(30.9, 120.5).is_none(), "south of the district");
    assert!(index.locate(31.2, 120.9).is_none(), "east of the district");
    assert!(index.locate(31.2, 120.55).is_some(), "the middle of the district");
    // And the distance from a lake point to the nearest basic grid of 金庭镇 is sensible.
    let jinting_first = index
        .basic_grids()
        .find(|g| g.id.starts_with("320506-05-"))
        .expect("金庭镇 has grids");
    let d = index
        .distance_to_grid_m(&jinting_first.id, 31.05, 120.40)
        .expect("known grid");
    assert!(d > 1_000.0 && d < 30_000.0, "{d} m");
}
