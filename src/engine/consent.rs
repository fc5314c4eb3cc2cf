//! Opt-outs are monotonic: an opt-out (`DoNotEmail`) that arrives from the CRM marks
//! the member opted out for good, and nothing a sync writes ever turns an opt-out in
//! the CRM back into consent. (Lost or reversed opt-outs are a known failure of
//! two-way marketing syncs; a person who said "no" must stay "no".)

/// The CRM field that says a person must not be emailed.
pub(crate) const OPT_OUT_FIELD: &str = "DoNotEmail";

/// Whether a field value reads as "yes" in a CRM boolean.
fn is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case("yes")
    })
}

/// Whether a record says the person opted out of email.
pub(crate) fn opted_out(record: &listbridge_connector::CrmRecord) -> bool {
    is_set(record.fields.get(OPT_OUT_FIELD).and_then(|v| v.as_deref()))
}

/// Whether writing `to` over `from` in CRM field `field` would reverse an opt-out.
pub(super) fn reverses_opt_out(field: &str, from: Option<&str>, to: Option<&str>) -> bool {
    field.eq_ignore_ascii_case(OPT_OUT_FIELD) && is_set(from) && !is_set(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clearing_a_set_opt_out_is_a_reversal() {
        assert!(reverses_opt_out("DoNotEmail", Some("true"), Some("false")));
        assert!(reverses_opt_out("donotemail", Some("1"), None));
        assert!(!reverses_opt_out("DoNotEmail", Some("false"), Some("true")));
        assert!(!reverses_opt_out("DoNotEmail", None, Some("false")));
        assert!(!reverses_opt_out("DoNotEmail", Some("true"), Some("TRUE")));
        assert!(!reverses_opt_out("Title", Some("true"), Some("false")));
    }
}
