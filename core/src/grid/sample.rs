//! A deterministic sample grid package over Wuzhong district (吴中区, code 320506), Suzhou.
//!
//! Plausible, not real: 16 towns/streets with Wuzhong's real names laid out roughly where they
//! are, ~190 generated villages/communities and ~11,300 basic grids of about 320 m × 390 m. The
//! south-west corner is left empty (Taihu lake) so some points inside the district's extent are
//! in no grid.
//!
//! Construction: a lattice of `COLS × ROWS` cells over the district's extent whose vertices are
//! each moved by a fixed hash of their lattice position, with one more hashed point per lattice
//! edge. A basic grid is one cell; a community and a town are rectangular blocks of cells in
//! lattice index space whose outline walks the same moved vertices, so every level tiles exactly
//! and neighbours share their edges bit for bit. No randomness comes from the OS: the output is
//! byte-identical on every run and platform.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::{GridIndex, RawGrid};
use crate::noise::{hash, signed_unit};

/// The district's administrative code, the prefix of every sample id.
pub const DISTRICT_CODE: &str = "320506";
/// Lattice cells west → east.
pub const COLS: usize = 120;
/// Lattice cells south → north.
pub const ROWS: usize = 100;
const LON_MIN: f64 = 120.35;
const LON_MAX: f64 = 120.75;
const LAT_MIN: f64 = 31.0;
const LAT_MAX: f64 = 31.35;
const DX: f64 = (LON_MAX - LON_MIN) / COLS as f64;
const DY: f64 = (LAT_MAX - LAT_MIN) / ROWS as f64;
/// How far a lattice vertex moves, as a fraction of a cell, along each axis. Below 0.25 every
/// cell stays a convex quadrilateral before the edge points are added.
const VERTEX_JITTER: f64 = 0.22;
/// How far an edge's extra point moves across the edge, as a fraction of a cell.
const EDGE_JITTER: f64 = 0.08;

/// Level-1 names; a town's id is `320506-NN` with NN its place here, from 01.
const TOWNS: [&str; 16] = [
    "木渎镇",
    "甪直镇",
    "胥口镇",
    "东山镇",
    "金庭镇",
    "光福镇",
    "临湖镇",
    "长桥街道",
    "苏苑街道",
    "龙西街道",
    "城南街道",
    "越溪街道",
    "郭巷街道",
    "横泾街道",
    "香山街道",
    "太湖街道",
];

/// Bands of towns from south to north: the band's height in cells, and its towns from west to
/// east as (index into `TOWNS`, or `None` for lake, width in cells). Widths add up to `COLS`,
/// heights to `ROWS`.
/// A band's height in cells and its towns (`None`: lake) with their widths in cells.
type Band = (usize, &'static [(Option<usize>, usize)]);

const BANDS: [Band; 4] = [
    (
        24,
        &[
            (None, 30),
            (Some(4), 22),
            (Some(3), 24),
            (Some(6), 22),
            (Some(13), 22),
        ],
    ),
    (
        26,
        &[(Some(15), 32), (Some(2), 28), (Some(11), 30), (Some(1), 30)],
    ),
    (
        27,
        &[(Some(5), 26), (Some(14), 30), (Some(10), 34), (Some(12), 30)],
    ),
    (23, &[(Some(0), 30), (Some(9), 28), (Some(7), 32), (Some(8), 30)]),
];

/// Characters for generated village/community names.
const NAME_FIRST: [&str; 48] = [
    "金", "香", "枫", "桂", "荷", "梅", "竹", "松", "柳", "新", "旺", "安", "康", "宁", "和", "丰", "盛",
    "兴", "华", "明", "清", "秀", "瑞", "祥", "福", "长", "石", "茶", "渔", "湖", "溪", "塘", "横", "蒋",
    "陆", "许", "徐", "张", "沈", "吴", "姚", "朱", "尧", "灵", "宝", "凤", "龙", "堰",
];
const NAME_SECOND: [&str; 30] = [
    "山", "湖", "塘", "桥", "港", "浜", "泾", "渎", "溪", "墅", "庄", "园", "湾", "苑", "坊", "里", "埠",
    "圩", "坞", "泉", "岭", "滨", "口", "头", "家", "舍", "墩", "亭", "浦", "荡",
];

/// Target community size in cells along each axis.
const COMMUNITY_SIDE: usize = 8;

/// The sample package as GeoJSON text (~4 MB), byte-identical on every call.
pub fn sample_package() -> String {
    to_geojson(&Sample::generate().grids)
}

/// The sample package, parsed, validated and indexed.
pub fn sample_index() -> GridIndex {
    GridIndex::from_geojson_str(&sample_package()).expect("the sample package is valid")
}

/// The sample package's grids without the JSON round trip, levels 1, 2, 3 each in id order.
pub fn sample_grids() -> Vec<RawGrid> {
    Sample::generate().grids
}

// ---- rounding ----

/// Rounds to 1e-7 degree (about 1 cm), so the JSON text (shortest round-trip form) parses back
/// to the very same numbers.
pub(crate) fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

// ---- the lattice ----

struct Lattice {
    /// `(COLS + 1) × (ROWS + 1)` moved vertices, row-major from the south-west.
    vertices: Vec<[f64; 2]>,
    /// The extra point on the edge from vertex (i, j) to (i + 1, j), `COLS × (ROWS + 1)`.
    horizontal: Vec<[f64; 2]>,
    /// The extra point on the edge from vertex (i, j) to (i, j + 1), `(COLS + 1) × ROWS`.
    vertical: Vec<[f64; 2]>,
}

impl Lattice {
    fn new() -> Self {
        let mut vertices = Vec::with_capacity((COLS + 1) * (ROWS + 1));
        for j in 0..=ROWS {
            for i in 0..=COLS {
                let (a, b) = (i as u64, j as u64);
                vertices.push([
                    round7(LON_MIN + (i as f64 + VERTEX_JITTER * signed_unit(hash(a, b, 1))) * DX),
                    round7(LAT_MIN + (j as f64 + VERTEX_JITTER * signed_unit(hash(a, b, 2))) * DY),
                ]);
            }
        }
        let v = |i: usize, j: usize| vertices[j * (COLS + 1) + i];
        let mut horizontal = Vec::with_capacity(COLS * (ROWS + 1));
        for j in 0..=ROWS {
            for i in 0..COLS {
                let (p, q) = (v(i, j), v(i + 1, j));
                let off = EDGE_JITTER * DY * signed_unit(hash(i as u64, j as u64, 3));
                horizontal.push([round7((p[0] + q[0]) / 2.0), round7((p[1] + q[1]) / 2.0 + off)]);
            }
        }
        let mut vertical = Vec::with_capacity((COLS + 1) * ROWS);
        for j in 0..ROWS {
            for i in 0..=COLS {
                let (p, q) = (v(i, j), v(i, j + 1));
                let off = EDGE_JITTER * DX * signed_unit(hash(i as u64, j as u64, 4));
                vertical.push([round7((p[0] + q[0]) / 2.0 + off), round7((p[1] + q[1]) / 2.0)]);
            }
        }
        Self {
            vertices,
            horizontal,
            vertical,
        }
    }

    fn v(&self, i: usize, j: usize) -> [f64; 2] {
        self.vertices[j * (COLS + 1) + i]
    }

    fn h(&self, i: usize, j: usize) -> [f64; 2] {
        self.horizontal[j * COLS + i]
    }

    fn vert(&self, i: usize, j: usize) -> [f64; 2] {
        self.vertical[j * (COLS + 1) + i]
    }

    /// The closed, counter-clockwise outline of the cells `cols × rows` (half-open ranges).
    fn outline(&self, cols: (usize, usize), rows: (usize, usize)) -> Vec<[f64; 2]> {
        let ((c0, c1), (r0, r1)) = (cols, rows);
        let mut ring = Vec::with_capacity(4 * (c1 - c0 + r1 - r0) + 1);
        for i in c0..c1 {
            ring.push(self.v(i, r0));
            ring.push(self.h(i, r0));
        }
        for j in r0..r1 {
            ring.push(self.v(c1, j));
            ring.push(self.vert(c1, j));
        }
        for i in (c0..c1).rev() {
            ring.push(self.v(i + 1, r1));
            ring.push(self.h(i, r1));
        }
        for j in (r0..r1).rev() {
            ring.push(self.v(c0, j + 1));
            ring.push(self.vert(c0, j));
        }
        ring.push(self.v(c0, r0));
        ring
    }
}

/// Splits `len` cells into about `len / target` runs of slightly uneven length (at least 2
/// each), as half-open ranges from `start`.
fn split(start: usize, len: usize, target: usize, seed: u64) -> Vec<(usize, usize)> {
    let n = ((len as f64 / target as f64).round() as usize).max(1);
    let avg = len as f64 / n as f64;
    let mut cuts = vec![0usize];
    for k in 1..n {
        let jitter = 0.25 * avg * signed_unit(hash(seed, k as u64, 5));
        let cut = (k as f64 * avg + jitter).round() as usize;
        let prev = *cuts.last().expect("starts with 0");
        cuts.push(cut.clamp(prev + 2, len - 2 * (n - k)));
    }
    cuts.push(len);
    cuts.windows(2).map(|w| (start + w[0], start + w[1])).collect()
}

// ---- the package ----

pub(crate) struct Sample {
    /// Levels 1, 2, 3, each in id order.
    pub(crate) grids: Vec<RawGrid>,
    /// The basic grid id of each lattice cell, row-major from the south-west (`None`: lake).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) cell_ids: Vec<Option<String>>,
    #[cfg_attr(not(test), allow(dead_code))]
    lattice: Lattice,
}

impl Sample {
    pub(crate) fn generate() -> Self {
        let lattice = Lattice::new();
        let mut towns = Vec::new();
        let mut communities = Vec::new();
        let mut basics = Vec::new();
        let mut cell_ids = vec![None; COLS * ROWS];
        let mut used_names = HashSet::new();

        let mut r0 = 0;
        for (height, band) in BANDS {
            let mut c0 = 0;
            for &(town, width) in band {
                let (cols, rows) = ((c0, c0 + width), (r0, r0 + height));
                c0 += width;
                let Some(t) = town else { continue };
                let town_id = format!("{DISTRICT_CODE}-{:02}", t + 1);
                towns.push(RawGrid {
                    id: town_id.clone(),
                    level: 1,
                    parent_id: None,
                    name: TOWNS[t].to_owned(),
                    polygons: vec![vec![lattice.outline(cols, rows)]],
                });
                // Communities: runs of rows from north to south, each cut into runs of columns.
                let mut number = 0;
                let row_runs = split(rows.0, height, COMMUNITY_SIDE, t as u64);
                for (k, &row_run) in row_runs.iter().rev().enumerate() {
                    let seed = (t as u64) << 8 | k as u64;
                    for col_run in split(cols.0, width, COMMUNITY_SIDE, seed) {
                        number += 1;
                        let id = format!("{town_id}-{number:03}");
                        let name = community_name(t, number, &mut used_names);
                        for (n, (i, j)) in cells_north_west_first(col_run, row_run).enumerate() {
                            let cell_id = format!("{id}-{:04}", n + 1);
                            cell_ids[j * COLS + i] = Some(cell_id.clone());
                            basics.push(RawGrid {
                                id: cell_id,
                                level: 3,
                                parent_id: Some(id.clone()),
                                name: format!("{name}第{}网格", n + 1),
                                polygons: vec![vec![lattice.outline((i, i + 1), (j, j + 1))]],
                            });
                        }
                        communities.push(RawGrid {
                            id,
                            level: 2,
                            parent_id: Some(town_id.clone()),
                            name,
                            polygons: vec![vec![lattice.outline(col_run, row_run)]],
                        });
                    }
                }
            }
            r0 += height;
        }
        for level in [&mut towns, &mut communities, &mut basics] {
            level.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let mut grids = towns;
        grids.append(&mut communities);
        grids.append(&mut basics);
        Self {
            grids,
            cell_ids,
            lattice,
        }
    }

    /// The moved lattice vertex (i, j) as `[lon, lat]`.
    #[cfg(test)]
    pub(crate) fn vertex(&self, i: usize, j: usize) -> [f64; 2] {
        self.lattice.v(i, j)
    }
}

fn cells_north_west_first(
    cols: (usize, usize),
    rows: (usize, usize),
) -> impl Iterator<Item = (usize, usize)> {
    (rows.0..rows.1)
        .rev()
        .flat_map(move |j| (cols.0..cols.1).map(move |i| (i, j)))
}

/// A two-character place name plus 村 (village) or 社区 (community): a street's are all
/// communities, a town's first two (its seat) are communities and the rest villages. Unique
/// across the district.
fn community_name(town: usize, number: usize, used: &mut HashSet<String>) -> String {
    let suffix = if TOWNS[town].ends_with("街道") || number <= 2 {
        "社区"
    } else {
        "村"
    };
    for attempt in 0u64.. {
        let h = hash(town as u64, number as u64, 6 + attempt);
        let first = NAME_FIRST[(h % NAME_FIRST.len() as u64) as usize];
        let second = NAME_SECOND[((h >> 32) % NAME_SECOND.len() as u64) as usize];
        let name = format!("{first}{second}{suffix}");
        if used.insert(name.clone()) {
            return name;
        }
    }
    unreachable!("1,440 name pairs are more than any town needs")
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

fn to_geojson(grids: &[RawGrid]) -> String {
    let mut out = String::with_capacity(grids.len() * 400);
    out.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (k, g) in grids.iter().enumerate() {
        if k > 0 {
            out.push_str(",\n");
        }
        let parent = g.parent_id.as_deref().map_or("null".into(), json_string);
        write!(
            out,
            "{{\"type\":\"Feature\",\"properties\":{{\"id\":{},\"level\":{},\"parent_id\":{},\"name\":{}}},\"geometry\":",
            json_string(&g.id),
            g.level,
            parent,
            json_string(&g.name)
        )
        .expect("writing to a String cannot fail");
        let polygon = |out: &mut String, rings: &Vec<Vec<[f64; 2]>>| {
            out.push('[');
            for (r, ring) in rings.iter().enumerate() {
                out.push_str(if r > 0 { ",[" } else { "[" });
                for (p, [lon, lat]) in ring.iter().enumerate() {
                    let sep = if p > 0 { "," } else { "" };
                    write!(out, "{sep}[{lon},{lat}]").expect("writing to a String cannot fail");
                }
                out.push(']');
            }
            out.push(']');
        };
        if let [only] = g.polygons.as_slice() {
            out.push_str("{\"type\":\"Polygon\",\"coordinates\":");
            polygon(&mut out, only);
        } else {
            out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (p, rings) in g.polygons.iter().enumerate() {
                if p > 0 {
                    out.push(',');
                }
                polygon(&mut out, rings);
            }
            out.push(']');
        }
        out.push_str("}}");
    }
    out.push_str("\n]}\n");
    out
}
