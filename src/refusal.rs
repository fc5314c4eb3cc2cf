//! A request refused by a business rule, naming what is at fault: the shared shape of
//! sync-setup and form checks, mapped to a 422 problem with `details.names` at the API.

/// Why a setup or definition is refused: a stable code, a message, the names at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// Machine-readable reason.
    pub code: &'static str,
    /// For people; names what is wrong.
    pub message: String,
    /// The fields or columns at fault.
    pub names: Vec<String>,
}

/// Refuses with `code`, `message` and the names at fault.
pub fn refuse(code: &'static str, message: String, names: Vec<String>) -> Result<(), Refusal> {
    Err(Refusal {
        code,
        message,
        names,
    })
}

/// `'a', 'b'`: names quoted for a message.
pub fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
