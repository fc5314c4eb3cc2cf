//! Parses `/sdata/{app}/{contract}/{dataset}/{kind}[(selector)][/$keyword…]`, matching
//! resource kinds case-insensitively. The raw path is split at its `/`s first and each
//! segment percent-decoded after, so an encoded `/` (`%2F`) inside a clause selector
//! (`leads(Email eq 'a/b@x.example')`) stays part of it, while `%24batch` still decodes
//! to the `$batch` keyword.

use http::StatusCode;
use percent_encoding::percent_decode_str;

use crate::diagnose::{Diagnosis, SdataCode};
use crate::model::Kind;

/// What a request addresses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// `GET /sdata/slx/dynamic/-/`: the list of feeds.
    Root,
    /// `/sdata/$system` or `/sdata/slx/system/-/`: a credential check.
    System,
    /// `…/leads`.
    Feed(Kind),
    /// `…/leads('KEY')`.
    Key(Kind, String),
    /// `…/leads(Email eq 'x')`: a clause that must match exactly one record.
    Clause(Kind, String),
    /// `…/leads/$template`.
    Template(Kind),
    /// `…/leads/$schema` (redirects to the contract schema).
    KindSchema(Kind),
    /// `…/$schema`.
    Schema,
    /// `…/leads/$batch`.
    Batch(Kind),
    /// `…/system/-/$service/getCurrentUser` and other service operations.
    Service(String),
}

impl Target {
    /// The stats bucket of this request.
    pub(crate) fn stats_kind(&self) -> String {
        match self {
            Target::Root => "$root".into(),
            Target::System => "$system".into(),
            Target::Schema => "$schema".into(),
            Target::Service(op) => format!("$service/{op}"),
            Target::Feed(k)
            | Target::Key(k, _)
            | Target::Clause(k, _)
            | Target::Template(k)
            | Target::KindSchema(k)
            | Target::Batch(k) => k.plural().to_string(),
        }
    }
}

fn not_found(code: SdataCode, message: String) -> Diagnosis {
    Diagnosis::new(StatusCode::NOT_FOUND, code, message)
}

/// Parses a raw (still percent-encoded) request path.
pub(crate) fn parse(raw_path: &str) -> Result<Target, Diagnosis> {
    let path = percent_decode_str(raw_path)
        .decode_utf8_lossy()
        .into_owned();
    let decoded: Vec<String> = raw_path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let lower = |i: usize| segments.get(i).map(|s| s.to_ascii_lowercase());
    if lower(0).as_deref() != Some("sdata") {
        return Err(not_found(
            SdataCode::BadUrlSyntax,
            format!("'{path}' is not an SData URL"),
        ));
    }
    if lower(1).as_deref() == Some("$system") {
        return Ok(Target::System);
    }
    match lower(1).as_deref() {
        Some("slx") => {}
        Some(other) => {
            return Err(not_found(
                SdataCode::ApplicationNotFound,
                format!("application '{other}' not found"),
            ));
        }
        None => {
            return Err(not_found(
                SdataCode::BadUrlSyntax,
                "missing application".into(),
            ));
        }
    }
    let contract = lower(2).unwrap_or_default();
    if !matches!(contract.as_str(), "dynamic" | "system") {
        return Err(not_found(
            SdataCode::ContractNotFound,
            format!("contract '{contract}' not found"),
        ));
    }
    match segments.get(3) {
        Some(&"-") => {}
        Some(other) => {
            return Err(not_found(
                SdataCode::DatasetNotFound,
                format!("dataset '{other}' not found"),
            ));
        }
        None => return Err(not_found(SdataCode::BadUrlSyntax, "missing dataset".into())),
    }
    let rest: Vec<&str> = segments[4..]
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    let Some((first, tail)) = rest.split_first() else {
        return Ok(if contract == "system" {
            Target::System
        } else {
            Target::Root
        });
    };
    if first.eq_ignore_ascii_case("$service") {
        return match tail {
            [op] => Ok(Target::Service((*op).to_string())),
            _ => Err(not_found(
                SdataCode::BadUrlSyntax,
                format!("bad service URL '{path}'"),
            )),
        };
    }
    if first.eq_ignore_ascii_case("$schema") && tail.is_empty() {
        return Ok(Target::Schema);
    }
    if contract != "dynamic" {
        return Err(not_found(
            SdataCode::ResourceKindNotFound,
            format!("resource kind '{first}' not found in the system contract"),
        ));
    }
    let (name, selector) = split_selector(first)?;
    let Some(kind) = Kind::from_plural(name) else {
        return Err(not_found(
            SdataCode::ResourceKindNotFound,
            format!("resource kind '{name}' not found"),
        ));
    };
    let keyword = match tail {
        [] => None,
        [k] => Some(k.to_ascii_lowercase()),
        _ => {
            return Err(not_found(
                SdataCode::BadUrlSyntax,
                format!("unsupported URL '{path}'"),
            ));
        }
    };
    match (selector, keyword.as_deref()) {
        (None, None) => Ok(Target::Feed(kind)),
        (Some(sel), None) => Ok(selector_target(kind, sel)),
        (None, Some("$template")) => Ok(Target::Template(kind)),
        (None, Some("$schema")) => Ok(Target::KindSchema(kind)),
        (None, Some("$batch")) => Ok(Target::Batch(kind)),
        (_, Some(other)) => Err(not_found(
            SdataCode::BadUrlSyntax,
            format!("'{other}' is not supported on {}", kind.plural()),
        )),
    }
}

fn selector_target(kind: Kind, sel: &str) -> Target {
    let trimmed = sel.trim();
    let quoted = trimmed.len() >= 2
        && ((trimmed.starts_with('\'') && trimmed.ends_with('\''))
            || (trimmed.starts_with('"') && trimmed.ends_with('"')));
    if quoted {
        let quote = &trimmed[..1];
        let inner = &trimmed[1..trimmed.len() - 1];
        Target::Key(kind, inner.replace(&format!("{quote}{quote}"), quote))
    } else {
        Target::Clause(kind, trimmed.to_string())
    }
}

/// Splits `leads('KEY')` into `leads` and `'KEY'`.
fn split_selector(segment: &str) -> Result<(&str, Option<&str>), Diagnosis> {
    let Some(open) = segment.find('(') else {
        return Ok((segment, None));
    };
    if !segment.ends_with(')') {
        return Err(not_found(
            SdataCode::BadUrlSyntax,
            format!("unbalanced selector in '{segment}'"),
        ));
    }
    Ok((
        &segment[..open],
        Some(&segment[open + 1..segment.len() - 1]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_matches_kinds_case_insensitively() {
        let t = parse("/sdata/slx/dynamic/-/Leads/%24batch");
        assert_eq!(t.ok(), Some(Target::Batch(Kind::Lead)));
        let t = parse("/sdata/slx/dynamic/-/LEADADDRESSES('qDEMOA000001')");
        assert_eq!(
            t.ok(),
            Some(Target::Key(Kind::LeadAddress, "qDEMOA000001".into()))
        );
        let t = parse("/sdata/slx/dynamic/-/leads%28%27Q1%27%29");
        assert_eq!(t.ok(), Some(Target::Key(Kind::Lead, "Q1".into())));
        let t = parse("/sdata/slx/dynamic/-/accounts(AccountName eq 'Above')");
        assert_eq!(
            t.ok(),
            Some(Target::Clause(
                Kind::Account,
                "AccountName eq 'Above'".into()
            ))
        );
        let t = parse("/sdata/slx/system/-/$service/getCurrentUser");
        assert_eq!(t.ok(), Some(Target::Service("getCurrentUser".into())));
        let t = parse("/sdata/slx/dynamic/-/leads/$schema");
        assert_eq!(t.ok(), Some(Target::KindSchema(Kind::Lead)));
    }

    #[test]
    fn an_encoded_slash_stays_inside_its_selector() {
        let t = parse("/sdata/slx/dynamic/-/leads(Email%20eq%20%27a%2Fb%40x.example%27)");
        assert_eq!(
            t.ok(),
            Some(Target::Clause(
                Kind::Lead,
                "Email eq 'a/b@x.example'".into()
            ))
        );
        let t = parse("/sdata/slx/dynamic/-/leads%28%27Q%2F1%27%29");
        assert_eq!(t.ok(), Some(Target::Key(Kind::Lead, "Q/1".into())));
        // An encoded slash is no separator anywhere: `leads%2F%24batch` is one segment.
        let e = parse("/sdata/slx/dynamic/-/leads%2F%24batch").err();
        assert_eq!(e.map(|d| d.code), Some(SdataCode::ResourceKindNotFound));
        let t = parse("/sdata/slx/system/-/%24service/getCurrentUser");
        assert_eq!(t.ok(), Some(Target::Service("getCurrentUser".into())));
    }

    #[test]
    fn unknown_parts_are_404_with_the_right_code() {
        let e = parse("/sdata/slx/dynamic/-/widgets").err();
        assert_eq!(e.map(|d| d.code), Some(SdataCode::ResourceKindNotFound));
        let e = parse("/sdata/crm/dynamic/-/leads").err();
        assert_eq!(e.map(|d| d.code), Some(SdataCode::ApplicationNotFound));
        let e = parse("/sdata/slx/nope/-/leads").err();
        assert_eq!(e.map(|d| d.code), Some(SdataCode::ContractNotFound));
    }
}
