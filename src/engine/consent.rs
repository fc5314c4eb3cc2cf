//! Opt-outs are monotonic: an opt-out (the connector's opt-out field) that arrives from
//! the CRM marks the member opted out for good, and nothing a sync writes ever turns an
//! opt-out in the CRM back into consent. (Lost or reversed opt-outs are a known failure of
//! two-way marketing syncs; a person who said "no" must stay "no".)

use listbridge_connector::{CrmRecord, EntityKind, Vocabulary};

/// Whether a field value reads as "yes" in a CRM boolean.
fn is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case("yes")
    })
}

/// Whether a record says the person opted out of email (the CRM's opt-out field).
pub(crate) fn opted_out(vocab: &dyn Vocabulary, record: &CrmRecord) -> bool {
    let field = vocab.opt_out_field(record.entity);
    is_set(record.fields.get(field).and_then(|v| v.as_deref()))
}

/// Whether writing `to` over `from` in field `field` of an `entity` record would
/// reverse an opt-out.
pub(super) fn reverses_opt_out(
    vocab: &dyn Vocabulary,
    entity: EntityKind,
    field: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> bool {
    field.eq_ignore_ascii_case(vocab.opt_out_field(entity)) && is_set(from) && !is_set(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_vocabulary::TestVocabulary;

    #[test]
    fn only_clearing_a_set_opt_out_is_a_reversal() {
        let reverses = |field: &str, from, to| {
            reverses_opt_out(&TestVocabulary, EntityKind::Lead, field, from, to)
        };
        assert!(reverses("do_not_email", Some("true"), Some("false")));
        assert!(reverses("DO_NOT_EMAIL", Some("1"), None));
        assert!(!reverses("do_not_email", Some("false"), Some("true")));
        assert!(!reverses("do_not_email", None, Some("false")));
        assert!(!reverses("do_not_email", Some("true"), Some("TRUE")));
        assert!(!reverses("title", Some("true"), Some("false")));
    }
}
