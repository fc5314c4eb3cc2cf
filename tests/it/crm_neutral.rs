//! Issue 17's rule, kept: the engine, forms, lists and notes name no CRM field. They ask
//! the connector's vocabulary instead, so a CRM is added as a crate. This scans their
//! code (test modules and test-only files left out: those name list columns and a test
//! vocabulary) for every field name a registered connector's vocabulary gives, as a
//! quoted literal.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use listbridge_connector::{EntityKind, SystemUsage};

/// Where no CRM field may be named.
const NEUTRAL: [&str; 4] = ["src/engine", "src/forms", "src/lists", "src/notes"];

/// Every field name the registered connectors' vocabularies give.
fn crm_field_names() -> BTreeSet<&'static str> {
    let registry = listbridge::app::default_registry();
    let mut names = BTreeSet::new();
    for kind in ["infor-crm", "salesforce"] {
        let vocab = registry
            .vocabulary(kind)
            .unwrap_or_else(|| panic!("{kind} is registered"));
        for entity in [EntityKind::Lead, EntityKind::Contact] {
            names.insert(vocab.email_field(entity));
            names.insert(vocab.opt_out_field(entity));
            names.extend(vocab.owner_field(entity));
            names.extend(vocab.always_imported(entity));
            for usage in SystemUsage::ALL {
                names.extend(vocab.usage_field(entity, usage));
            }
        }
        for (contact, lead) in vocab.contact_lead_pairs() {
            names.extend([*contact, *lead]);
        }
    }
    names
}

/// The Rust files under `dir`, test-only files left out.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "tests" {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" && name != "test_vocabulary.rs" {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_forms_lists_and_notes_name_no_crm_field() {
    let names = crm_field_names();
    assert!(names.contains("HasOptedOutOfEmail") && names.contains("DoNotEmail"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in NEUTRAL {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "{files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            for name in &names {
                if line.contains(&format!("\"{name}\"")) {
                    found.push(format!("{}:{}: \"{name}\"", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "CRM field names outside connectors:\n{}",
        found.join("\n")
    );
}
