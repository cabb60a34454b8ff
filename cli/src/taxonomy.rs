//! `gridpatrol taxonomy …`: the event list from the command line, for city IT staff and scripts.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridpatrol_core::taxonomy::{EventList, Role, seal};
use serde_json::json;

use crate::{Failure, print_json};

#[derive(Subcommand)]
pub enum Command {
    /// Counts, version and hash of the bundled list or of a package file.
    Stats {
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Lint a package: print every problem with its code; exit 2 when invalid.
    Check {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Search subtypes as the capture screen does (Chinese, pinyin, initials, English).
    Search {
        query: String,
        /// Only subtypes this role may file: inspector, volunteer, grid_leader, police_officer.
        #[arg(long)]
        role: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// A subtype with its rules and problems.
    Show {
        code: String,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Compute the canonical SHA-256 of a package and write it into its header.
    Seal {
        path: PathBuf,
        /// Write the sealed package here instead of in place.
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Stats { json, .. }
            | Command::Check { json, .. }
            | Command::Search { json, .. }
            | Command::Show { json, .. }
            | Command::Seal { json, .. } => *json,
        }
    }
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Stats { file, json } => stats(&*load(file.as_deref())?, json),
        Command::Check { path, json } => check(&path, json),
        Command::Search {
            query,
            role,
            limit,
            file,
            json,
        } => {
            let role = role.as_deref().map(parse_role).transpose()?;
            search(&*load(file.as_deref())?, &query, role, limit, json)
        }
        Command::Show { code, file, json } => show(&*load(file.as_deref())?, &code, json),
        Command::Seal { path, output, json } => seal_file(&path, output.as_deref(), json),
    }
}

fn parse_role(role: &str) -> Result<Role, Failure> {
    Role::parse(role).ok_or_else(|| {
        Failure::new(
            "bad_argument",
            format!("unknown role {role:?}; one of inspector, volunteer, grid_leader, police_officer"),
            2,
        )
    })
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::new("unreadable_file", format!("{}: {e}", path.display()), 1))
}

fn load(file: Option<&Path>) -> Result<std::sync::Arc<EventList>, Failure> {
    let Some(path) = file else {
        return Ok(EventList::bundled());
    };
    EventList::from_json(&read(path)?)
        .map(std::sync::Arc::new)
        .map_err(|problems| {
            let mut failure = Failure::new("package_rejected", format!("{}: {problems}", path.display()), 2);
            failure.details = Some(json!({ "problems": problems.0 }));
            failure
        })
}

fn stats(list: &EventList, json: bool) -> Result<(), Failure> {
    let info = list.info();
    let with_gbt = list
        .subtypes()
        .iter()
        .filter(|s| s.gbt_event_code.is_some())
        .count();
    let police = list
        .subtypes()
        .iter()
        .filter(|s| s.rules.police_element.is_some())
        .count();
    if json {
        print_json(&json!({
            "categories": info.counts.categories,
            "subtypes": info.counts.subtypes,
            "problems": info.counts.problems,
            "component_types": info.counts.component_types,
            "police_elements": info.counts.police_elements,
            "version": info.list_version,
            "sha256": info.sha256,
            "effective_date": info.effective_date,
            "jurisdiction": info.jurisdiction.code,
            "subtypes_with_gbt_code": with_gbt,
            "police_element_subtypes": police,
        }));
    } else {
        out!(
            "{} {} ({}), effective {}",
            info.jurisdiction.name_zh,
            info.list_version,
            info.jurisdiction.code,
            info.effective_date
        );
        out!(
            "{} categories, {} subtypes, {} problems, {} component types, {} police elements",
            info.counts.categories,
            info.counts.subtypes,
            info.counts.problems,
            info.counts.component_types,
            info.counts.police_elements
        );
        for category in list.categories() {
            let n = list
                .subtypes()
                .iter()
                .filter(|s| s.category == category.code)
                .count();
            out!(
                "  {} {} / {}: {n} subtypes",
                category.code,
                category.name_zh,
                category.name_en
            );
        }
        out!("{with_gbt} subtypes cross-referenced to GB/T 47678.5-2026, {police} police-element subtypes");
        out!("sha256 {}", info.sha256);
    }
    Ok(())
}

fn check(path: &Path, json: bool) -> Result<(), Failure> {
    match EventList::from_json(&read(path)?) {
        Ok(list) => {
            let info = list.info();
            if json {
                print_json(
                    &json!({"status": "valid", "version": info.list_version, "sha256": info.sha256, "problems": []}),
                );
            } else {
                out!(
                    "{}: valid ({} / {} / {})",
                    path.display(),
                    info.counts.categories,
                    info.counts.subtypes,
                    info.counts.problems
                );
            }
            Ok(())
        }
        Err(problems) => {
            if json {
                print_json(&json!({"status": "invalid", "problems": problems.0}));
            } else {
                for problem in &problems.0 {
                    out!("{}\t{}\t{}", problem.code, problem.field, problem.message);
                }
                eprintln!(
                    "{}: {} problems; the package would be rejected",
                    path.display(),
                    problems.0.len()
                );
            }
            Err(Failure::reported("package_rejected", 2))
        }
    }
}

fn search(list: &EventList, query: &str, role: Option<Role>, limit: u32, json: bool) -> Result<(), Failure> {
    let hits = list.search(query, role, limit);
    if json {
        print_json(
            &hits
                .iter()
                .map(|hit| {
                    json!({
                        "code": hit.code,
                        "category": hit.category,
                        "name_zh": hit.name_zh,
                        "name_en": hit.name_en,
                        "score": hit.score,
                        "problems": hit.matched_problems.iter()
                            .map(|p| json!({"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en}))
                            .collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>(),
        );
    } else if hits.is_empty() {
        out!("no subtype matches {query:?}");
    } else {
        for hit in &hits {
            out!("{}  {}  {}", hit.code, hit.name_zh, hit.name_en);
            for problem in &hit.matched_problems {
                out!("    {}  {}  {}", problem.code, problem.name_zh, problem.name_en);
            }
        }
    }
    Ok(())
}

fn show(list: &EventList, code: &str, json: bool) -> Result<(), Failure> {
    let subtype = list
        .subtype(code)
        .ok_or_else(|| Failure::new("unknown_code", format!("no subtype with code {code}"), 2))?;
    let problems = list.problems_of(code);
    if json {
        let mut value = serde_json::to_value(subtype).expect("subtypes serialize");
        value["problems"] = serde_json::to_value(&problems).expect("problems serialize");
        print_json(&value);
    } else {
        out!("{}  {}  {}", subtype.code, subtype.name_zh, subtype.name_en);
        let rules = &subtype.rules;
        out!(
            "  photos {}..{}, location {} (≤ {} m, own grid: {:?}, manual pin: {})",
            rules.evidence.min_photos,
            rules.evidence.max_photos,
            if rules.location.required {
                "required"
            } else {
                "optional"
            },
            rules.location.max_accuracy_m,
            rules.location.own_grid,
            rules.location.manual_pin_allowed
        );
        let roles: Vec<&str> = rules.roles.iter().map(|r| r.as_str()).collect();
        out!("  roles: {}", roles.join(", "));
        for attribute in &rules.attributes {
            out!(
                "  attribute {} ({:?}{}): {}",
                attribute.code,
                attribute.datatype,
                if attribute.required { ", required" } else { "" },
                attribute.label_zh
            );
        }
        for problem in problems {
            out!("  {}  {}  {}", problem.code, problem.name_zh, problem.name_en);
        }
    }
    Ok(())
}

fn seal_file(path: &Path, output: Option<&Path>, json: bool) -> Result<(), Failure> {
    let (sealed, hash) =
        seal(&read(path)?).map_err(|problems| Failure::new("package_rejected", problems.to_string(), 2))?;
    let target = output.unwrap_or(path);
    std::fs::write(target, sealed)
        .map_err(|e| Failure::new("unwritable_file", format!("{}: {e}", target.display()), 1))?;
    if json {
        print_json(&json!({"status": "sealed", "sha256": hash, "path": target.display().to_string()}));
    } else {
        out!("sealed {} sha256 {hash}", target.display());
    }
    Ok(())
}
