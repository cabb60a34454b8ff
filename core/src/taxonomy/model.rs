//! The event list as data: the types a package deserializes into and the app renders.
//!
//! Owns the shape of a package (header, categories, subtypes with their rules, problems,
//! component types, police elements). It does not check consistency (see `check`) or search.

use serde::{Deserialize, Serialize};

/// A whole event-list package as a city ships it. Field order follows the JSON document.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub header: Header,
    pub categories: Vec<Category>,
    pub police_elements: Vec<PoliceElement>,
    pub component_types: Vec<ComponentType>,
    pub subtypes: Vec<Subtype>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub schema_version: u32,
    pub list_version: String,
    pub effective_date: String,
    pub jurisdiction: Jurisdiction,
    pub counts: Counts,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub categories: u32,
    pub subtypes: u32,
    pub problems: u32,
    pub component_types: u32,
    pub police_elements: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct PoliceElement {
    pub id: u32,
    pub name_zh: String,
    pub name_en: String,
}

/// A component type (部件类型) of GB/T 47678.5-2026, e.g. `01037` 路灯.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct ComponentType {
    pub code: String,
    pub major_class_code: String,
    pub major_class: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A subtype (细类): what a worker picks on the capture screen, with the rules the device
/// enforces for it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Subtype {
    pub code: String,
    pub category: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// The matching event of GB/T 47678.5-2026, a 5-digit code, when there is one.
    pub gbt_event_code: Option<String>,
    pub rules: Rules,
}

/// A problem (问题) under a subtype: the specific thing observed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub code: String,
    pub subtype: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub evidence: EvidenceRule,
    pub location: LocationRule,
    pub component: Option<ComponentRule>,
    pub attributes: Vec<Attribute>,
    pub roles: Vec<Role>,
    pub on_site_disposal: bool,
    pub handling: Handling,
    /// Id in the police-element list (公安要素清单) for police-clue subtypes.
    pub police_element: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct EvidenceRule {
    pub min_photos: u32,
    pub max_photos: u32,
    /// Closing a case on the spot needs an "after" photo showing the problem gone.
    pub after_photo_to_close_on_spot: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct LocationRule {
    pub required: bool,
    pub max_accuracy_m: u32,
    pub own_grid: OwnGridPolicy,
    pub manual_pin_allowed: bool,
}

/// What happens when a report's fix lies outside the reporter's own grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OwnGridPolicy {
    Error,
    Warning,
    #[serde(rename = "none")]
    NoCheck,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct ComponentRule {
    pub required: bool,
    /// Component type codes that may be named; each exists in the package's component types.
    pub types: Vec<String>,
}

/// A typed attribute in the shape of an Open311 service-definition attribute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    pub order: u32,
    pub label_zh: String,
    pub label_en: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    SingleChoice,
    MultiChoice,
}

impl Datatype {
    pub fn is_choice(self) -> bool {
        matches!(self, Datatype::SingleChoice | Datatype::MultiChoice)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

/// Who may file a subtype. The "4+N" staff of a grid, less the supervisor who files nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Inspector,
    Volunteer,
    GridLeader,
    PoliceOfficer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Inspector,
        Role::Volunteer,
        Role::GridLeader,
        Role::PoliceOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Volunteer => "volunteer",
            Role::GridLeader => "grid_leader",
            Role::PoliceOfficer => "police_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Handling {
    pub level: HandlingLevel,
    pub accept_hours: u32,
    pub dispose_hours: u32,
}

/// Where a case is normally disposed of: inside the grid, by the town/street, or the district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum HandlingLevel {
    Grid,
    Town,
    District,
}
