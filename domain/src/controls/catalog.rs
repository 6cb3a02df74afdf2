//! The built-in catalog: `catalog/controls.toml`, compiled into the binary, checked strictly.
//! A catalog that breaks a rule is a build-time mistake: the loader names it and the tests fail.

use super::model::{AppliesTo, Category, Control, Reference, ReviewFrequency};
use crate::clients::ImpactTier;
use serde::Deserialize;
use std::collections::HashSet;

/// The catalog as shipped with this build.
pub const BUILT_IN: &str = include_str!("../../../catalog/controls.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Increased on every change of the file; the database is upgraded when it is behind.
    pub version: i64,
    pub categories: Vec<Category>,
    pub controls: Vec<Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    version: i64,
    category: Vec<CategoryEntry>,
    control: Vec<ControlEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    id: String,
    name: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlEntry {
    id: String,
    category: String,
    title: String,
    description: String,
    severity: i64,
    review: String,
    applies_to: String,
    tiers: Vec<String>,
    references: Vec<ReferenceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceEntry {
    source: String,
    item: String,
    #[serde(default = "yes")]
    verified: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error("the catalog is not valid TOML: {0}")]
    Syntax(String),
    #[error("control {id}: {problem}")]
    Control { id: String, problem: String },
    #[error("category {id}: {problem}")]
    Category { id: String, problem: String },
    #[error("the catalog version must be a positive number")]
    Version,
}

/// A control id: two to four capital letters, a hyphen, two or more digits ("RA-01").
pub fn is_control_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((prefix, number)) => {
            (2..=4).contains(&prefix.len())
                && prefix.bytes().all(|b| b.is_ascii_uppercase())
                && number.len() >= 2
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
    let file: CatalogFile = toml::from_str(text).map_err(|e| CatalogError::Syntax(e.to_string()))?;
    if file.version < 1 {
        return Err(CatalogError::Version);
    }
    let mut category_ids = HashSet::new();
    let mut categories = Vec::new();
    for c in file.category {
        let problem = |p: &str| CatalogError::Category { id: c.id.clone(), problem: p.into() };
        if c.id.len() < 2 || c.id.len() > 4 || !c.id.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(problem("the id must be two to four capital letters"));
        }
        if !category_ids.insert(c.id.clone()) {
            return Err(problem("appears twice"));
        }
        if c.name.trim().is_empty() || c.description.trim().is_empty() {
            return Err(problem("needs a name and a description"));
        }
        categories.push(Category { id: c.id, name: c.name, description: c.description });
    }
    let mut ids = HashSet::new();
    let mut controls = Vec::new();
    for c in file.control {
        let problem = |p: String| CatalogError::Control { id: c.id.clone(), problem: p };
        if !is_control_id(&c.id) {
            return Err(problem("the id must look like RA-01".into()));
        }
        if !ids.insert(c.id.clone()) {
            return Err(problem("appears twice".into()));
        }
        if !category_ids.contains(&c.category) || !c.id.starts_with(&format!("{}-", c.category)) {
            return Err(problem(format!("category {:?} is unknown or does not match the id", c.category)));
        }
        if c.title.trim().is_empty() || c.title.chars().count() > 70 {
            return Err(problem("the title must have 1 to 70 characters".into()));
        }
        if c.description.trim().is_empty() || c.description.chars().count() > 400 {
            return Err(problem("the description must have 1 to 400 characters".into()));
        }
        if !(1..=5).contains(&c.severity) {
            return Err(problem(format!("severity {} is not 1 to 5", c.severity)));
        }
        let review =
            ReviewFrequency::parse(&c.review).ok_or_else(|| problem(format!("unknown review {:?}", c.review)))?;
        let applies_to =
            AppliesTo::parse(&c.applies_to).ok_or_else(|| problem(format!("unknown applies_to {:?}", c.applies_to)))?;
        let mut tiers = Vec::new();
        for t in &c.tiers {
            let tier = ImpactTier::parse(t).ok_or_else(|| problem(format!("unknown tier {t:?}")))?;
            if !tiers.contains(&tier) {
                tiers.push(tier);
            }
        }
        tiers.sort_by_key(|t| t.weight());
        if !tiers.contains(&ImpactTier::Critical) {
            return Err(problem("every control applies at least to the critical tier".into()));
        }
        if c.references.is_empty() {
            return Err(problem("needs at least one reference".into()));
        }
        let mut references = Vec::new();
        for r in c.references {
            if r.source.trim().is_empty() || r.item.trim().is_empty() {
                return Err(problem("a reference needs a source and an item".into()));
            }
            references.push(Reference { source: r.source, item: r.item, verified: r.verified });
        }
        controls.push(Control {
            id: c.id,
            category_id: c.category,
            title: c.title,
            description: c.description,
            severity: c.severity,
            review,
            applies_to,
            tiers,
            references,
            built_in: true,
            retired_at: None,
        });
    }
    Ok(Catalog { version: file.version, categories, controls })
}

/// The catalog shipped with this build.
pub fn built_in() -> Result<Catalog, CatalogError> {
    parse(BUILT_IN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_loads_and_covers_every_category() {
        let catalog = built_in().expect("the shipped catalog is valid");
        assert_eq!(catalog.categories.len(), 9);
        assert!(catalog.controls.len() >= 55, "about 60 controls, got {}", catalog.controls.len());
        for category in &catalog.categories {
            assert!(
                catalog.controls.iter().any(|c| c.category_id == category.id),
                "category {} has no control",
                category.id
            );
        }
        for c in &catalog.controls {
            assert!(!c.references.is_empty() && (1..=5).contains(&c.severity), "{}", c.id);
        }
        assert!(
            catalog.controls.iter().any(|c| c.references.iter().any(|r| !r.verified)),
            "unverified references are marked"
        );
    }

    const MINIMAL: &str = r#"
        version = 3
        [[category]]
        id = "RA"
        name = "Remote access"
        description = "How the MSP reaches clients."
        [[control]]
        id = "RA-01"
        category = "RA"
        title = "MFA on remote access"
        description = "Every remote session needs a second factor."
        severity = 5
        review = "quarterly"
        applies_to = "both"
        tiers = ["standard", "critical"]
        references = [{ source = "CIS v8", item = "6.4" }, { source = "TA18-276B", item = "4", verified = false }]
    "#;

    #[test]
    fn a_minimal_catalog_parses_with_defaults() {
        let catalog = parse(MINIMAL).unwrap();
        assert_eq!(catalog.version, 3);
        let c = &catalog.controls[0];
        assert_eq!((c.severity, c.review, c.applies_to), (5, ReviewFrequency::Quarterly, AppliesTo::Both));
        assert_eq!(c.tiers, vec![ImpactTier::Standard, ImpactTier::Critical]);
        assert!(c.references[0].verified && !c.references[1].verified);
    }

    #[test]
    fn each_broken_rule_is_named() {
        let cases = [
            ("severity = 5", "severity = 6", "severity 6"),
            ("review = \"quarterly\"", "review = \"hourly\"", "unknown review"),
            ("id = \"RA-01\"", "id = \"RA1\"", "look like RA-01"),
            ("category = \"RA\"", "category = \"XX\"", "category"),
            ("tiers = [\"standard\", \"critical\"]", "tiers = [\"standard\"]", "critical tier"),
            ("references = [{ source = \"CIS v8\", item = \"6.4\" }, { source = \"TA18-276B\", item = \"4\", verified = false }]", "references = []", "at least one reference"),
            ("applies_to = \"both\"", "applies_to = \"both\"\nowner = \"x\"", "unknown field"),
        ];
        for (from, to, expected) in cases {
            let broken = MINIMAL.replacen(from, to, 1);
            let error = parse(&broken).expect_err(to).to_string();
            assert!(error.contains(expected), "{to}: {error}");
        }
        let twice = format!("{MINIMAL}\n{}", &MINIMAL[MINIMAL.find("[[control]]").unwrap()..]);
        assert!(parse(&twice).unwrap_err().to_string().contains("appears twice"));
    }

    #[test]
    fn control_ids_have_a_fixed_shape() {
        assert!(is_control_id("RA-01") && is_control_id("CUST-101"));
        for bad in ["ra-01", "R-01", "RA-1", "RA01", "RA-0a", "ABCDE-01"] {
            assert!(!is_control_id(bad), "{bad}");
        }
    }
}
