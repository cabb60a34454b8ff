//! A deterministic sample component package over the Wuzhong sample grids (吴中区, 320506).
//!
//! Plausible, not real: in every basic grid of [`crate::grid::sample`] three street lamps, a
//! manhole cover (water, sewage, storm, power or telecom in turn), a street tree, and in some
//! grids a street-name sign, a litter bin or a surveillance camera — about 67,000 components.
//! Positions are a fixed hash of the grid's place, inside the central part of its envelope, so
//! every component lies inside the grid package's extent. Ids read like the city's own asset
//! numbers: `320506-LD-00421` (district, type abbreviation, serial). No randomness comes from
//! the OS: the text is byte-identical on every run and platform.

use std::fmt::Write as _;

use super::{ComponentIndex, ComponentPackage, RawComponent};
use crate::grid::sample::{DISTRICT_CODE, round7, sample_grids};
use crate::grid::{GridIndex, GridLevel};
use crate::location::Datum;
use crate::noise::{hash, unit};
use crate::taxonomy::EventList;

/// The sample package's version.
pub const VERSION: &str = "320506-sample-1";

/// (type code, id abbreviation, name, managing department, owning unit, maintenance unit).
type Kind = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const LAMP: Kind = (
    "01037",
    "LD",
    "路灯",
    "吴中区城市管理局",
    "吴中区路灯管理所",
    "吴中区市政照明养护站",
);
const COVERS: [Kind; 5] = [
    (
        "01001",
        "JG",
        "供水井盖",
        "吴中区水务局",
        "苏州吴中供水有限公司",
        "苏州吴中供水有限公司",
    ),
    (
        "01002",
        "JG",
        "污水井盖",
        "吴中区水务局",
        "吴中区排水管理处",
        "吴中区排水管理处",
    ),
    (
        "01003",
        "JG",
        "雨水井盖",
        "吴中区水务局",
        "吴中区排水管理处",
        "吴中区排水管理处",
    ),
    (
        "01005",
        "JG",
        "电力井盖",
        "吴中区发展和改革委员会",
        "国网苏州市吴中区供电公司",
        "国网苏州市吴中区供电公司",
    ),
    (
        "01007",
        "JG",
        "通信井盖",
        "吴中区工业和信息化局",
        "中国电信吴中分公司",
        "中国电信吴中分公司",
    ),
];
const TREE: Kind = (
    "04002",
    "XDS",
    "行道树",
    "吴中区园林和绿化管理局",
    "吴中区园林绿化管理所",
    "吴中区园林绿化养护中心",
);
const SIGN: Kind = (
    "02012",
    "LMP",
    "路名牌",
    "吴中区民政局",
    "吴中区地名办公室",
    "吴中区市政工程养护站",
);
const BIN: Kind = (
    "03005",
    "LJX",
    "垃圾箱",
    "吴中区城市管理局",
    "吴中区环境卫生管理处",
    "吴中区环境卫生管理处",
);
const CAMERA: Kind = (
    "01050",
    "JK",
    "监控电子眼",
    "苏州市公安局吴中分局",
    "苏州市公安局吴中分局",
    "吴中区雪亮工程运维中心",
);

/// The sample components without the JSON round trip, in generation order.
pub fn sample_components() -> Vec<RawComponent> {
    let mut serials: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(70_000);
    let basics = sample_grids()
        .into_iter()
        .filter(|g| g.level == i64::from(GridLevel::Basic.number()));
    for (g, grid) in basics.enumerate() {
        let ring = &grid.polygons[0][0];
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &[x, y] in ring {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        let mut kinds: Vec<Kind> = vec![LAMP, LAMP, LAMP, COVERS[g % COVERS.len()], TREE];
        if g % 2 == 0 {
            kinds.push(SIGN);
        }
        if g % 3 == 0 {
            kinds.push(BIN);
        }
        if g % 7 == 0 {
            kinds.push(CAMERA);
        }
        for (k, (code, abbr, name, managing, owning, maintenance)) in kinds.into_iter().enumerate() {
            let serial = serials.entry(abbr).or_insert(0);
            *serial += 1;
            let h = hash(g as u64, k as u64, 0);
            // The central 60 % of the envelope: inside the (convex-ish) cell.
            let lon = round7(x0 + (x1 - x0) * (0.2 + 0.6 * unit(h)));
            let lat = round7(y0 + (y1 - y0) * (0.2 + 0.6 * unit(hash(h, 1, 0))));
            out.push(RawComponent {
                id: format!("{DISTRICT_CODE}-{abbr}-{serial:05}"),
                type_code: code.into(),
                name: format!("{name}{serial:05}号"),
                managing_department: managing.into(),
                owning_unit: owning.into(),
                maintenance_unit: maintenance.into(),
                lon,
                lat,
            });
        }
    }
    out
}

/// The sample package as GeoJSON text, byte-identical on every call.
pub fn sample_package() -> String {
    let components = sample_components();
    let mut s = String::with_capacity(components.len() * 340);
    write!(
        s,
        r#"{{"type":"FeatureCollection","gridpatrol":{{"kind":"components","version":"{VERSION}","datum":"wgs84"}},"features":["#
    )
    .expect("writing to a String cannot fail");
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let properties = serde_json::json!({
            "id": c.id,
            "type_code": c.type_code,
            "name": c.name,
            "managing_department": c.managing_department,
            "owning_unit": c.owning_unit,
            "maintenance_unit": c.maintenance_unit,
        });
        write!(
            s,
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{properties}}}"#,
            c.lon, c.lat
        )
        .expect("writing to a String cannot fail");
    }
    s.push_str("]}");
    s
}

/// The sample components validated and indexed without the JSON round trip.
pub fn sample_index(list: &EventList, grids: Option<&GridIndex>) -> ComponentIndex {
    let package = ComponentPackage::from_raw(sample_components(), VERSION.into(), Datum::Wgs84, list, grids)
        .expect("the sample package is valid");
    ComponentIndex::new(package)
}
