//! Settling a field changed on both sides, and saying so in the run report. Pull meets
//! such fields when it reads a CRM change; push meets them when its update finds the CRM
//! record moved on (a stale etag) and a field it writes was edited there. Both settle the
//! field by the same rule and report it the same way, naming the member and the field.

use listbridge_connector::{CrmRecord, FieldValues};

use super::{
    field_map::FieldMap,
    fields::{
        Conflict, FieldAction, FieldOutcome, FieldPermissions, FieldSides, Side, decide_field,
    },
    report::{Report, Subject},
    setup::SyncSetup,
};
use crate::store::Member;

/// Settles one field by the setup's conflict rule and, when both sides changed it,
/// reports the conflict about `subject`.
pub(super) fn decide_reported(
    sides: FieldSides<'_>,
    perms: FieldPermissions,
    setup: &SyncSetup,
    newest: Side,
    subject: Subject<'_>,
    field: &str,
    report: &mut Report,
) -> FieldOutcome {
    let outcome = decide_field(sides, perms, setup.conflict_rule, newest);
    if let Some(conflict) = &outcome.conflict {
        report_conflict(report, subject, field, conflict);
    }
    outcome
}

/// Adds the report entry for a field changed on both sides.
fn report_conflict(report: &mut Report, subject: Subject<'_>, field: &str, conflict: &Conflict) {
    report.counts.conflicts += 1;
    report.record(
        "conflict",
        subject,
        Some(field),
        format!(
            "'{}' changed in both the list ({:?}) and the CRM ({:?}); the {} value wins",
            field,
            conflict.list.as_deref().unwrap_or(""),
            conflict.crm.as_deref().unwrap_or(""),
            if conflict.winner == Side::Crm {
                "CRM"
            } else {
                "list"
            }
        ),
        Some(serde_json::json!({ "list": conflict.list, "crm": conflict.crm, "winner": conflict.winner })),
    );
}

/// Which side changed a member most recently, for the newest-wins rule.
pub(super) fn newest_side(member: &Member, record: &CrmRecord) -> Side {
    match record.modify_date {
        Some(crm) if crm > member.list_changed_at => Side::Crm,
        _ => Side::List,
    }
}

/// A push update of `written` met `current`, a newer CRM version in which some of those
/// fields were edited. Settles each written field against the CRM's value by the
/// setup's rule: a CRM winner is taken into the list when pulling that field is allowed
/// (else the two values are left to differ, and the list value is not pushed again); a
/// list winner is returned, to be written once more against the current version.
pub(super) fn settle_stale_push(
    member: &mut Member,
    current: &CrmRecord,
    written: &FieldValues,
    map: &FieldMap,
    setup: &SyncSetup,
    report: &mut Report,
) -> FieldValues {
    let newest = newest_side(member, current);
    let mut again = FieldValues::new();
    for field in written.keys() {
        let Some(column) = map.column_for(field).map(String::from) else {
            continue;
        };
        let crm = current
            .fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let list = member.values.get(&column).cloned().flatten();
        let base = member.synced.get(field).cloned();
        let outcome = decide_reported(
            FieldSides {
                base: base.as_ref(),
                list: &list,
                crm: &crm,
            },
            FieldPermissions {
                push: true,
                pull: setup.pulls_field(field),
            },
            setup,
            newest,
            Subject::member_record(&member.email, current),
            field,
            report,
        );
        match outcome.action {
            FieldAction::InSync => {
                member.synced.insert(field.clone(), crm);
            }
            FieldAction::Pull { to, .. } => {
                member.values.insert(column, to.clone());
                member.synced.insert(field.clone(), to);
            }
            FieldAction::Push { to, .. } => {
                again.insert(field.clone(), to);
            }
            FieldAction::Hold
                if outcome
                    .conflict
                    .as_ref()
                    .is_some_and(|c| c.winner == Side::Crm) =>
            {
                // The CRM won but may not be pulled here: the two values are left to
                // differ, and the list value is not pushed over the CRM's edit again.
                member.synced.insert(field.clone(), list);
            }
            FieldAction::Hold => {}
        }
    }
    again
}
