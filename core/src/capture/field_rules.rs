//! The field rules of a report, one function each: the subtype's attributes and each value
//! against its datatype, the component number where the subtype needs one, the description's
//! length. Part of `validate` (the one rule set of device and platform); whether a given
//! component exists and is near is `component_rule`.

use crate::taxonomy::{Attribute, Datatype, Subtype};

use super::{CapturePolicy, Draft, ValidationReport};

/// `attribute.missing` (a required one) / `attribute.invalid` (see [`check_attribute_value`])
/// / `attribute.unknown` (one the subtype does not have, in code order).
pub(super) fn attributes(draft: &Draft, subtype: &Subtype, report: &mut ValidationReport) {
    let rules = &subtype.rules;
    for attribute in &rules.attributes {
        match draft.content.attributes.get(&attribute.code) {
            None => {
                if attribute.required {
                    report.error(
                        "attribute.missing",
                        &format!("attributes.{}", attribute.code),
                        format!("请填写“{}”", attribute.label_zh),
                        format!("Fill in \"{}\"", attribute.label_en),
                    );
                }
            }
            Some(value) => {
                if let Err((zh, en)) = check_attribute_value(attribute, value) {
                    report.error(
                        "attribute.invalid",
                        &format!("attributes.{}", attribute.code),
                        zh,
                        en,
                    );
                }
            }
        }
    }
    let mut codes: Vec<&String> = draft.content.attributes.keys().collect();
    codes.sort();
    for code in codes {
        if !rules.attributes.iter().any(|a| &a.code == code) {
            report.error(
                "attribute.unknown",
                &format!("attributes.{code}"),
                format!("此类事件没有“{code}”这一项"),
                format!("This subtype has no attribute \"{code}\""),
            );
        }
    }
}

/// `component.missing`: the subtype needs a component number and the draft has none (blank
/// counts as none).
pub(super) fn component_given(draft: &Draft, subtype: &Subtype, report: &mut ValidationReport) {
    if let Some(component) = &subtype.rules.component
        && component.required
        && draft
            .content
            .component_id
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
    {
        report.error(
            "component.missing",
            "component_id",
            "请填写或扫描部件编号（如路灯、井盖上的编号）",
            "Enter or scan the component's number (as on the lamp post or cover)",
        );
    }
}

/// `description.too_long`, counted in characters (a Chinese character is one).
pub(super) fn description(draft: &Draft, policy: &CapturePolicy, report: &mut ValidationReport) {
    let chars = draft.content.description.chars().count();
    if chars > policy.description_max_chars as usize {
        report.error(
            "description.too_long",
            "description",
            format!("描述最多 {} 字，当前 {chars} 字", policy.description_max_chars),
            format!(
                "The description may have at most {} characters; it has {chars}",
                policy.description_max_chars
            ),
        );
    }
}

/// Checks one attribute value against its definition; the error is (zh, en).
pub(crate) fn check_attribute_value(attribute: &Attribute, value: &str) -> Result<(), (String, String)> {
    let bad = |zh: String, en: String| {
        Err((
            format!("“{}”{zh}", attribute.label_zh),
            format!("\"{}\" {en}", attribute.label_en),
        ))
    };
    match attribute.datatype {
        Datatype::String | Datatype::Text => {
            let default_limit = if attribute.datatype == Datatype::String {
                200
            } else {
                2000
            };
            let limit = attribute.max_length.unwrap_or(default_limit) as usize;
            let chars = value.chars().count();
            if value.trim().is_empty() {
                return bad("不能为空".into(), "must not be empty".into());
            }
            if chars > limit {
                return bad(
                    format!("最多 {limit} 字"),
                    format!("may have at most {limit} characters"),
                );
            }
        }
        Datatype::Number => {
            let Ok(number) = value.trim().parse::<f64>() else {
                return bad("应为数字".into(), "must be a number".into());
            };
            if !number.is_finite() {
                return bad("应为数字".into(), "must be a number".into());
            }
            if let Some(min) = attribute.min
                && number < min as f64
            {
                return bad(format!("不能小于 {min}"), format!("must be at least {min}"));
            }
            if let Some(max) = attribute.max
                && number > max as f64
            {
                return bad(format!("不能大于 {max}"), format!("must be at most {max}"));
            }
        }
        Datatype::Datetime => {
            if time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                return bad(
                    "应为日期时间（如 2026-11-23T09:30:00+08:00）".into(),
                    "must be a date and time like 2026-11-23T09:30:00+08:00".into(),
                );
            }
        }
        Datatype::SingleChoice => {
            if !attribute.values.iter().any(|v| v.key == value) {
                return bad("的选项无效".into(), format!("has no option {value:?}"));
            }
        }
        Datatype::MultiChoice => {
            let keys: Vec<&str> = value.split(',').map(str::trim).collect();
            if keys.iter().any(|k| k.is_empty()) {
                return bad("至少选择一项".into(), "needs at least one option".into());
            }
            for (i, key) in keys.iter().enumerate() {
                if !attribute.values.iter().any(|v| v.key == *key) || keys[..i].contains(key) {
                    return bad(
                        "的选项无效或重复".into(),
                        format!("has an unknown or repeated option {key:?}"),
                    );
                }
            }
        }
    }
    Ok(())
}
