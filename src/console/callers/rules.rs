//! Routing rule sets from the Callers page: the builder (name, field, ordered rows of
//! operator, value and destination, a default destination) for a new or a saved rule
//! set, and *Delete* behind a confirmation. Rows are saved in the order of their
//! *Order* numbers (ties keep the form's order); blank rows are ignored, and three
//! blank rows are always offered to add more.

use axum::Form as Posted;

use super::{routing_failure, rule_set_id};
use crate::callers::routing::{
    Destination, DestinationKind, Operator, RoutingError, RoutingRules, RuleRow, RuleSet,
    RuleSetInput,
};
use crate::console::prelude::*;
use crate::store::RuleSetId;

/// Blank rows offered below the saved ones.
const BLANK_ROWS: usize = 3;

/// One option of a select.
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn operator_choices(selected: &str) -> Vec<Choice> {
    Operator::ALL
        .into_iter()
        .map(|o| Choice {
            value: o.symbol(),
            label: o.symbol(),
            selected: o.symbol() == selected.trim(),
        })
        .collect()
}

fn kind_choices(selected: &str) -> Vec<Choice> {
    DestinationKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: match k {
                DestinationKind::Queue => "Queue",
                DestinationKind::Ivr => "IVR",
                DestinationKind::Recording => "Play recording",
            },
            selected: k.as_str().eq_ignore_ascii_case(selected.trim()),
        })
        .collect()
}

/// A row as the form holds it (text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RowValues {
    order: String,
    field: String,
    operator: String,
    value: String,
    kind: String,
    option: String,
}

impl RowValues {
    fn is_blank(&self) -> bool {
        self.field.trim().is_empty()
            && self.value.trim().is_empty()
            && self.option.trim().is_empty()
    }
}

/// The builder's values, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RuleValues {
    name: String,
    field: String,
    default_kind: String,
    default_option: String,
    rows: Vec<RowValues>,
}

impl RuleValues {
    fn of(set: &RuleSet) -> Self {
        RuleValues {
            name: set.name.clone(),
            field: set.field.clone(),
            default_kind: set.default.kind.as_str().to_string(),
            default_option: set.default.option.clone(),
            rows: set
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| RowValues {
                    order: (i + 1).to_string(),
                    field: r.field.clone().unwrap_or_default(),
                    operator: r.operator.symbol().to_string(),
                    value: r.value.clone(),
                    kind: r.destination.kind.as_str().to_string(),
                    option: r.destination.option.clone(),
                })
                .collect(),
        }
    }

    /// Reads the posted form: single fields by name, row fields by position. Blank rows
    /// are dropped and the rest sorted by their order number and renumbered, so the
    /// page shown again lists the rows as they are saved.
    fn parse(pairs: &[(String, String)]) -> Self {
        let one = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let many = |name: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let columns = [
            many("row_order"),
            many("row_field"),
            many("row_operator"),
            many("row_value"),
            many("row_type"),
            many("row_option"),
        ];
        let count = columns.iter().map(Vec::len).max().unwrap_or(0);
        let at = |c: usize, i: usize| columns[c].get(i).cloned().unwrap_or_default();
        let mut rows: Vec<(f64, usize, RowValues)> = (0..count)
            .map(|i| RowValues {
                order: at(0, i),
                field: at(1, i),
                operator: at(2, i),
                value: at(3, i),
                kind: at(4, i),
                option: at(5, i),
            })
            .enumerate()
            .filter(|(_, r)| !r.is_blank())
            .map(|(i, r)| {
                let order = r
                    .order
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .unwrap_or((i + 1) as f64);
                (order, i, r)
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        RuleValues {
            name: one("name"),
            field: one("field"),
            default_kind: one("default_type"),
            default_option: one("default_option"),
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, (_, _, mut r))| {
                    r.order = (i + 1).to_string();
                    r
                })
                .collect(),
        }
    }

    /// The service's input, or the messages of the selects that hold no known choice.
    fn input(&self) -> Result<RuleSetInput, FieldErrors> {
        let mut errors = FieldErrors::none();
        let kind = |raw: &str, key: &str, errors: &mut FieldErrors| {
            DestinationKind::parse(raw).unwrap_or_else(|| {
                errors.add(key, "Choose Queue, IVR or Play recording.");
                DestinationKind::Queue
            })
        };
        let default_kind = kind(&self.default_kind, "default_type", &mut errors);
        let rows = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let n = i + 1;
                let operator = Operator::parse(&r.operator).unwrap_or_else(|| {
                    errors.add(
                        &format!("row-{n}-operator"),
                        format!("Row {n}: choose an operator (<, >, =, <=, >=)."),
                    );
                    Operator::Eq
                });
                RuleRow {
                    field: Some(r.field.clone()).filter(|f| !f.trim().is_empty()),
                    operator,
                    value: r.value.clone(),
                    destination: Destination {
                        kind: kind(&r.kind, &format!("row-{n}-type"), &mut errors),
                        option: r.option.clone(),
                    },
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RuleSetInput {
            name: self.name.clone(),
            field: self.field.clone(),
            rows,
            default: Destination {
                kind: default_kind,
                option: self.default_option.clone(),
            },
        })
    }
}

/// The control a service refusal is about: `rows[2].value` → `row-2-value`.
fn control_of(at: &str) -> String {
    if let Some(rest) = at.strip_prefix("rows[")
        && let Some((n, part)) = rest.split_once("].")
    {
        let part = match part {
            "destination.option" => "option",
            other => other,
        };
        return format!("row-{n}-{part}");
    }
    match at {
        "default.option" => "default_option".to_string(),
        other => other.to_string(),
    }
}

/// One row of the builder, with its messages.
struct RowView {
    n: usize,
    order: String,
    field: String,
    value: String,
    option: String,
    operators: Vec<Choice>,
    kinds: Vec<Choice>,
    field_error: String,
    operator_error: String,
    value_error: String,
    type_error: String,
    option_error: String,
}

/// The builder page.
#[derive(Template)]
#[template(path = "console/callers_rule_builder.html")]
struct BuilderPage {
    layout: Layout,
    /// `/callers/rules/new` or `/callers/rules/{id}/edit`.
    action: String,
    /// Empty for a new rule set.
    id: String,
    values: RuleValues,
    default_kinds: Vec<Choice>,
    rows: Vec<RowView>,
    errors: FieldErrors,
}

/// The delete confirmation page.
#[derive(Template)]
#[template(path = "console/callers_rule_delete.html")]
struct DeletePage {
    layout: Layout,
    id: String,
    name: String,
}

fn render(
    viewer: &Viewer,
    id: Option<RuleSetId>,
    values: RuleValues,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut shown = values.rows.clone();
    let next = shown.len();
    shown.extend((0..BLANK_ROWS).map(|i| RowValues {
        order: (next + i + 1).to_string(),
        operator: "=".to_string(),
        kind: "queue".to_string(),
        ..RowValues::default()
    }));
    let rows = shown
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let n = i + 1;
            let err = |part: &str| errors.get(&format!("row-{n}-{part}")).to_string();
            RowView {
                n,
                operators: operator_choices(&r.operator),
                kinds: kind_choices(&r.kind),
                field_error: err("field"),
                operator_error: err("operator"),
                value_error: err("value"),
                type_error: err("type"),
                option_error: err("option"),
                order: r.order,
                field: r.field,
                value: r.value,
                option: r.option,
            }
        })
        .collect();
    BuilderPage {
        layout: Layout::new(viewer, Section::Callers),
        action: id.map_or_else(
            || "/callers/rules/new".to_string(),
            |id| format!("/callers/rules/{id}/edit"),
        ),
        id: id.map(|id| id.to_string()).unwrap_or_default(),
        default_kinds: kind_choices(&values.default_kind),
        values,
        rows,
        errors,
    }
    .respond(status)
}

/// `GET /callers/rules/new`: an empty builder.
pub async fn new_form(Admin(viewer): Admin) -> Result<Response, ConsoleError> {
    let values = RuleValues {
        default_kind: "queue".to_string(),
        ..RuleValues::default()
    };
    render(&viewer, None, values, FieldErrors::none(), StatusCode::OK)
}

/// `GET /callers/rules/{id}/edit`: the saved rule set's builder.
pub async fn edit_form(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = rule_set_id(&id)?;
    let set = RoutingRules::from_state(&state)
        .require(viewer.account_id(), id)
        .await
        .map_err(routing_failure)?;
    render(
        &viewer,
        Some(id),
        RuleValues::of(&set),
        FieldErrors::none(),
        StatusCode::OK,
    )
}

/// `POST /callers/rules/new`: saves a new rule set, or shows the builder again with
/// the messages.
pub async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    save(&state, &viewer, None, RuleValues::parse(&pairs)).await
}

/// `POST /callers/rules/{id}/edit`: replaces the rule set, or shows the builder again
/// with the messages.
pub async fn update(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let id = rule_set_id(&id)?;
    save(&state, &viewer, Some(id), RuleValues::parse(&pairs)).await
}

async fn save(
    state: &AppState,
    viewer: &Viewer,
    id: Option<RuleSetId>,
    values: RuleValues,
) -> Result<Response, ConsoleError> {
    let input = match values.input() {
        Ok(input) => input,
        Err(errors) => {
            return render(viewer, id, values, errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let service = RoutingRules::from_state(state);
    let account = viewer.account_id();
    let saved = match id {
        None => service.create(account, &input).await,
        Some(id) => service.update(account, id, &input).await,
    };
    match saved {
        Ok(_) => Ok(Redirect::to("/callers?done=saved").into_response()),
        Err(err @ (RoutingError::Invalid { .. } | RoutingError::NameTaken(_))) => {
            let control = match &err {
                RoutingError::Invalid { at, .. } => control_of(at),
                _ => "name".to_string(),
            };
            let api = crate::error::ApiError::from(err);
            let errors = FieldErrors::on(&control, words::sentence(api.message()));
            render(viewer, id, values, errors, api.status())
        }
        Err(other) => Err(routing_failure(other)),
    }
}

/// `GET /callers/rules/{id}/delete`: what deleting does, and the button that does it.
pub async fn show_delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = rule_set_id(&id)?;
    let set = RoutingRules::from_state(&state)
        .require(viewer.account_id(), id)
        .await
        .map_err(routing_failure)?;
    DeletePage {
        layout: Layout::new(&viewer, Section::Callers),
        id: set.id.to_string(),
        name: set.name,
    }
    .respond(StatusCode::OK)
}

/// `POST /callers/rules/{id}/delete`: deletes, then back to the page with a notice.
pub async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let id = rule_set_id(&id)?;
    RoutingRules::from_state(&state)
        .delete(viewer.account_id(), id)
        .await
        .map_err(routing_failure)?;
    Ok(Redirect::to("/callers?done=deleted").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::pairs;

    #[test]
    fn rows_are_read_by_position_sorted_by_order_and_blank_rows_dropped() {
        let posted = pairs(&[
            ("name", "VIP"),
            ("field", "LeadScore"),
            ("default_type", "queue"),
            ("default_option", "100"),
            ("row_order", "2"),
            ("row_field", ""),
            ("row_operator", ">="),
            ("row_value", "80"),
            ("row_type", "queue"),
            ("row_option", "200"),
            ("row_order", "3"),
            ("row_field", ""),
            ("row_operator", "="),
            ("row_value", ""),
            ("row_type", "queue"),
            ("row_option", ""),
            ("row_order", "1"),
            ("row_field", "Region"),
            ("row_operator", "="),
            ("row_value", "gold"),
            ("row_type", "ivr"),
            ("row_option", "3"),
        ]);
        let values = RuleValues::parse(&posted);
        assert_eq!(values.rows.len(), 2);
        assert_eq!(values.rows[0].value, "gold");
        assert_eq!(values.rows[0].order, "1");
        assert_eq!(values.rows[1].value, "80");
        let input = values.input().expect("valid");
        assert_eq!(input.rows[0].field.as_deref(), Some("Region"));
        assert_eq!(input.rows[1].operator, Operator::Ge);
        assert_eq!(input.default.to_string(), "queue 100");
    }

    #[test]
    fn refusals_go_beside_their_control() {
        assert_eq!(control_of("rows[2].value"), "row-2-value");
        assert_eq!(control_of("rows[1].destination.option"), "row-1-option");
        assert_eq!(control_of("default.option"), "default_option");
        assert_eq!(control_of("name"), "name");
    }
}
