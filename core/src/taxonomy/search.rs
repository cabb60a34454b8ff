//! Search over the event list for the capture screen, run on every keystroke.
//!
//! Owns the search keys (Chinese names, English names, synonyms, full pinyin and pinyin
//! initials, so `井盖`, `jinggai`, `jg` and `manhole` all find the manhole-cover subtype) and the
//! ranking. It does not decide which subtypes a role may file: the caller passes that filter.

use pinyin::ToPinyin;

use super::model::{Package, Problem};

/// How well one key matched; larger is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Name,
    Synonym,
    English,
    PinyinFull,
    PinyinInitials,
}

impl KeyKind {
    /// Per-mille weight: a hit on the real name outranks a hit on a synonym or on pinyin.
    fn weight(self) -> u32 {
        match self {
            KeyKind::Name => 1000,
            KeyKind::English => 900,
            KeyKind::Synonym => 850,
            KeyKind::PinyinFull => 800,
            KeyKind::PinyinInitials => 700,
        }
    }
}

#[derive(Debug)]
struct Key {
    kind: KeyKind,
    text: String,
}

/// The keys of one subtype or problem.
#[derive(Debug)]
struct Entry {
    subtype: usize,
    problem: Option<usize>,
    keys: Vec<Key>,
}

/// One subtype found by a search, with the problems under it that matched, best first.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SearchHit {
    pub code: String,
    pub category: String,
    pub name_zh: String,
    pub name_en: String,
    pub score: u32,
    pub matched_problems: Vec<Problem>,
}

/// A subtype that matched: its best score, and (score, problem index) of its problems that did.
#[derive(Debug, Clone, Default)]
struct SubtypeMatch {
    subtype: usize,
    score: u32,
    problems: Vec<(u32, usize)>,
}

#[derive(Debug)]
pub(crate) struct SearchIndex {
    entries: Vec<Entry>,
}

impl SearchIndex {
    pub(crate) fn build(package: &Package) -> Self {
        let subtype_index: std::collections::HashMap<&str, usize> = package
            .subtypes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code.as_str(), i))
            .collect();
        let mut entries = Vec::with_capacity(package.subtypes.len() + package.problems.len());
        for (i, subtype) in package.subtypes.iter().enumerate() {
            entries.push(Entry {
                subtype: i,
                problem: None,
                keys: keys_for(&subtype.name_zh, &subtype.name_en, &subtype.synonyms),
            });
        }
        for (i, problem) in package.problems.iter().enumerate() {
            let subtype = *subtype_index
                .get(problem.subtype.as_str())
                .expect("checked packages have no orphan problems");
            entries.push(Entry {
                subtype,
                problem: Some(i),
                keys: keys_for(&problem.name_zh, &problem.name_en, &problem.synonyms),
            });
        }
        Self { entries }
    }

    /// Ranked hits for `query`; `allowed(subtype_index)` filters what the caller may file.
    pub(crate) fn search(
        &self,
        package: &Package,
        query: &str,
        allowed: impl Fn(usize) -> bool,
        limit: usize,
    ) -> Vec<SearchHit> {
        let terms: Vec<String> = query
            .split_whitespace()
            .map(normalize)
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut matches: Vec<Option<SubtypeMatch>> = vec![None; package.subtypes.len()];
        for entry in &self.entries {
            if !allowed(entry.subtype) {
                continue;
            }
            let Some(score) = entry_score(entry, &terms) else {
                continue;
            };
            // A hit on the subtype itself ranks above the same hit on one of its problems.
            let score = if entry.problem.is_none() {
                score + 50
            } else {
                score
            };
            let found = matches[entry.subtype].get_or_insert_with(|| SubtypeMatch {
                subtype: entry.subtype,
                ..Default::default()
            });
            found.score = found.score.max(score);
            if let Some(problem) = entry.problem {
                found.problems.push((score, problem));
            }
        }
        let mut hits: Vec<SubtypeMatch> = matches.into_iter().flatten().collect();
        hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.subtype.cmp(&b.subtype)));
        hits.truncate(limit);
        hits.into_iter()
            .map(|mut found| {
                found.problems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                let subtype = &package.subtypes[found.subtype];
                SearchHit {
                    code: subtype.code.clone(),
                    category: subtype.category.clone(),
                    name_zh: subtype.name_zh.clone(),
                    name_en: subtype.name_en.clone(),
                    score: found.score,
                    matched_problems: found
                        .problems
                        .into_iter()
                        .map(|(_, p)| package.problems[p].clone())
                        .collect(),
                }
            })
            .collect()
    }
}

/// Every term must match some key of the entry; the entry's score is the mean of the terms'.
fn entry_score(entry: &Entry, terms: &[String]) -> Option<u32> {
    let mut total = 0;
    for term in terms {
        let best = entry.keys.iter().filter_map(|key| key_score(key, term)).max()?;
        total += best.0;
    }
    Some(total / terms.len() as u32)
}

fn key_score(key: &Key, term: &str) -> Option<Score> {
    let text = key.text.as_str();
    let base = if text == term {
        1000
    } else if text.starts_with(term) {
        800
    } else if key.kind == KeyKind::English && text.split(' ').any(|word| word.starts_with(term)) {
        700
    } else if key.kind != KeyKind::PinyinInitials && text.contains(term) {
        // Initials are too short for substring hits to mean anything ("g" is in half the list).
        500
    } else if key.kind == KeyKind::PinyinInitials && term.len() >= 2 && text.contains(term) {
        400
    } else {
        return None;
    };
    Some(Score(base * key.kind.weight() / 1000))
}

fn keys_for(zh: &str, en: &str, synonyms: &[String]) -> Vec<Key> {
    let mut keys = vec![
        Key {
            kind: KeyKind::Name,
            text: normalize(zh),
        },
        Key {
            kind: KeyKind::English,
            text: en.to_lowercase(),
        },
    ];
    for text in std::iter::once(zh).chain(synonyms.iter().map(String::as_str)) {
        let (full, initials) = pinyin_of(text);
        keys.push(Key {
            kind: KeyKind::PinyinFull,
            text: full,
        });
        keys.push(Key {
            kind: KeyKind::PinyinInitials,
            text: initials,
        });
    }
    keys.extend(synonyms.iter().map(|s| Key {
        kind: KeyKind::Synonym,
        text: normalize(s),
    }));
    keys
}

/// Full pinyin without tones or spaces, and the initials: 井盖 → ("jinggai", "jg").
/// Characters without a reading (digits, Latin letters) are kept as they are, lowercased.
fn pinyin_of(text: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, reading) in text.chars().zip(text.to_pinyin()) {
        match reading {
            Some(reading) => {
                full.push_str(reading.plain());
                initials.push_str(reading.first_letter());
            }
            None if ch.is_alphanumeric() => {
                let lower = ch.to_lowercase().collect::<String>();
                full.push_str(&lower);
                initials.push_str(&lower);
            }
            None => {}
        }
    }
    (full, initials)
}

/// Lowercase, without whitespace or the punctuation people leave out when typing.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '、' | '，' | ',' | '（' | '）' | '(' | ')' | '/' | '·')
        })
        .flat_map(char::to_lowercase)
        .collect()
}
